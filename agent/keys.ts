import { createHash, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

/** A new RSA key made on this host; it never leaves it. */
export function newPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A PKCS#10 request for the key. The CA sets every name itself; the subject is a courtesy. */
export function certificateRequestPem(keyPem: string, hostname: string): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: 'commonName', value: hostname.slice(0, 64) }]);
  csr.sign(key, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

/** SHA-256 of a PEM certificate's DER, hex. */
export function pemFingerprint(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(der).digest('hex');
}

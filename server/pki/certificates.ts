import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import net from 'node:net';
import forge from 'node-forge';

const { pki } = forge;

export type KeyPair = { certPem: string; keyPem: string };

/** A positive serial number of 128 random bits (RFC 5280 allows up to 20 octets). */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01;
  return bytes.toString('hex');
}

/** RSA keys come from Node's native generator; node-forge's pure-JS one is far slower. */
export function generateRsaKeyPem(bits: number): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** SHA-256 over the certificate's DER, as colon-free lower-case hex. */
export function certificateFingerprint(certPem: string): string {
  const der = forge.asn1.toDer(pki.certificateToAsn1(pki.certificateFromPem(certPem))).getBytes();
  return createHash('sha256').update(Buffer.from(der, 'binary')).digest('hex');
}

export function createCaCertificate(commonName: string, organization: string, years: number): KeyPair {
  const keyPem = generateRsaKeyPem(3072);
  const key = pki.privateKeyFromPem(keyPem);
  const publicKey = pki.setRsaPublicKey(key.n, key.e);
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + years * 365 * 86_400_000);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: organization },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem };
}

export type ServerCertRequest = { commonName: string; dnsNames: string[]; ipAddresses: string[]; days: number };

/** A TLS server certificate for the console or the agent gateway, signed by the internal CA. */
export function issueServerCertificate(ca: KeyPair, req: ServerCertRequest): KeyPair {
  const caCert = pki.certificateFromPem(ca.certPem);
  const caKey = pki.privateKeyFromPem(ca.keyPem);
  const keyPem = generateRsaKeyPem(2048);
  const key = pki.privateKeyFromPem(keyPem);
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerialHex();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + req.days * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: req.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...req.dnsNames.map((value) => ({ type: 2, value })),
    ...req.ipAddresses.filter((ip) => net.isIP(ip) !== 0).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem };
}

/** Fraction of the certificate's life already spent, 0..1 (or more once expired). */
export function lifeSpent(certPem: string, now = new Date()): number {
  const cert = pki.certificateFromPem(certPem);
  const start = cert.validity.notBefore.getTime();
  const end = cert.validity.notAfter.getTime();
  return (now.getTime() - start) / (end - start);
}

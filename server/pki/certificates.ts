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

/** Serials compared and stored as lower-case hex without leading zeros (OpenSSL and forge differ). */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
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

/**
 * Signs a certificate for `publicKey` with the CA. The CA decides every name and extension itself:
 * nothing a requester asked for is copied in.
 */
function signLeaf(
  ca: KeyPair,
  publicKey: forge.pki.rsa.PublicKey,
  commonName: string,
  lifetimeMs: number,
  extensions: object[],
): { certPem: string; serial: string; notBefore: Date; notAfter: Date } {
  const caCert = pki.certificateFromPem(ca.certPem);
  const caKey = pki.privateKeyFromPem(ca.keyPem);
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + lifetimeMs);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    ...extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), serial: normalizeSerial(cert.serialNumber), notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
}

/** A TLS server certificate (console, agent gateway), signed by the internal CA, with a new key. */
export function issueServerCertificate(ca: KeyPair, req: ServerCertRequest): KeyPair {
  const keyPem = generateRsaKeyPem(2048);
  const key = pki.privateKeyFromPem(keyPem);
  const altNames = [
    ...req.dnsNames.map((value) => ({ type: 2, value })),
    ...req.ipAddresses.filter((ip) => net.isIP(ip) !== 0).map((ip) => ({ type: 7, ip })),
  ];
  const { certPem } = signLeaf(ca, pki.setRsaPublicKey(key.n, key.e), req.commonName, req.days * 86_400_000, [
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  return { certPem, keyPem };
}

/**
 * The policy signer's certificate: code signing only, named `commonName`, with a new key. Agents
 * trust a policy version only when this certificate chains to the CA they pinned at enrolment.
 */
export function issueSigningCertificate(ca: KeyPair, commonName: string, days: number): KeyPair {
  const keyPem = generateRsaKeyPem(2048);
  const key = pki.privateKeyFromPem(keyPem);
  const { certPem } = signLeaf(ca, pki.setRsaPublicKey(key.n, key.e), commonName, days * 86_400_000, [
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', codeSigning: true },
  ]);
  return { certPem, keyPem };
}

/** The URI that names an agent in its certificate's subjectAltName. */
export function agentUri(agentId: string): string {
  return `spiffe://sbx.internal/agent/${agentId}`;
}

/**
 * Checks an agent's certificate request (PEM, PKCS#10): its self-signature must hold and its key
 * must be RSA of at least 2048 bits. Returns the public key; the request's names are ignored.
 */
export function publicKeyOfCsr(csrPem: string): forge.pki.rsa.PublicKey {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = pki.certificationRequestFromPem(csrPem);
  } catch {
    throw new Error('the certificate request is not a PEM PKCS#10 request with an RSA key');
  }
  if (!csr.verify()) throw new Error('the certificate request is not signed by its own key');
  const key = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!key || key.n.bitLength() < 2048) throw new Error('the certificate request needs an RSA key of at least 2048 bits');
  return key;
}

/** A client certificate for an agent: clientAuth only, a SAN URI naming the agent, a random serial. */
export function issueAgentCertificate(ca: KeyPair, publicKey: forge.pki.rsa.PublicKey, agentId: string, lifetimeSeconds: number) {
  return signLeaf(ca, publicKey, agentId, lifetimeSeconds * 1000, [
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 6, value: agentUri(agentId) }] },
  ]);
}

/** Fraction of the certificate's life already spent, 0..1 (or more once expired). */
export function lifeSpent(certPem: string, now = new Date()): number {
  const cert = pki.certificateFromPem(certPem);
  const start = cert.validity.notBefore.getTime();
  const end = cert.validity.notAfter.getTime();
  return (now.getTime() - start) / (end - start);
}

import forge from 'node-forge';
import type { KeyPair } from './certificates';

const { asn1, pki } = forge;
const T = asn1.Type;
const C = asn1.Class.UNIVERSAL;

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const CRL_NUMBER = '2.5.29.20';
const AUTHORITY_KEY_ID = '2.5.29.35';

export type Revoked = { serial: string; revokedAt: Date };

function time(d: Date): forge.asn1.Asn1 {
  // RFC 5280: UTCTime through 2049, GeneralizedTime after.
  return d.getUTCFullYear() < 2050
    ? asn1.create(C, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(C, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

function integerFromHex(hex: string): forge.asn1.Asn1 {
  let bytes = forge.util.hexToBytes(hex.length % 2 ? `0${hex}` : hex);
  // DER INTEGERs are signed: keep a serial positive.
  if (bytes.charCodeAt(0) & 0x80) bytes = `\x00${bytes}`;
  return asn1.create(C, T.INTEGER, false, bytes);
}

function algorithm(): forge.asn1.Asn1 {
  return asn1.create(C, T.SEQUENCE, true, [
    asn1.create(C, T.OID, false, asn1.oidToDer(SHA256_WITH_RSA).getBytes()),
    asn1.create(C, T.NULL, false, ''),
  ]);
}

/**
 * Writes an X.509 v2 CRL (RFC 5280 section 5) signed by the CA, in PEM. node-forge has no CRL
 * writer, so the structure is built with its ASN.1 module: TBSCertList with the revoked serials,
 * a CRL number and the authority key identifier, then signed with SHA-256 and RSA.
 */
export function buildCrl(ca: KeyPair, revoked: readonly Revoked[], opts: { number: number; thisUpdate: Date; nextUpdate: Date }): string {
  const caCert = pki.certificateFromPem(ca.certPem);
  const caKey = pki.privateKeyFromPem(ca.keyPem);
  const entries = revoked.map((r) => asn1.create(C, T.SEQUENCE, true, [integerFromHex(r.serial), time(r.revokedAt)]));
  const extensions = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
    asn1.create(C, T.SEQUENCE, true, [
      asn1.create(C, T.SEQUENCE, true, [
        asn1.create(C, T.OID, false, asn1.oidToDer(CRL_NUMBER).getBytes()),
        asn1.create(C, T.OCTETSTRING, false, asn1.toDer(integerFromHex(opts.number.toString(16))).getBytes()),
      ]),
      asn1.create(C, T.SEQUENCE, true, [
        asn1.create(C, T.OID, false, asn1.oidToDer(AUTHORITY_KEY_ID).getBytes()),
        asn1.create(
          C,
          T.OCTETSTRING,
          false,
          asn1.toDer(
            asn1.create(C, T.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, caCert.generateSubjectKeyIdentifier().getBytes())]),
          ).getBytes(),
        ),
      ]),
    ]),
  ]);
  const tbs = asn1.create(C, T.SEQUENCE, true, [
    asn1.create(C, T.INTEGER, false, '\x01'), // v2
    algorithm(),
    pki.distinguishedNameToAsn1(caCert.subject),
    time(opts.thisUpdate),
    time(opts.nextUpdate),
    ...(entries.length > 0 ? [asn1.create(C, T.SEQUENCE, true, entries)] : []),
    extensions,
  ]);
  const md = forge.md.sha256.create();
  md.update(asn1.toDer(tbs).getBytes());
  const signature = caKey.sign(md);
  const crl = asn1.create(C, T.SEQUENCE, true, [tbs, algorithm(), asn1.create(C, T.BITSTRING, false, `\x00${signature}`)]);
  const der = asn1.toDer(crl).getBytes();
  return forge.pem.encode({ type: 'X509 CRL', body: der });
}

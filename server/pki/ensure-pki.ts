import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  certificateFingerprint,
  createCaCertificate,
  issueServerCertificate,
  lifeSpent,
  type KeyPair,
} from './certificates';
import { seal, unseal } from './root-key';

export type Pki = {
  ca: KeyPair;
  caCertFile: string;
  caFingerprint: string;
  console: KeyPair;
  created: { ca: boolean; consoleCert: boolean };
};

const CA_KEY_PURPOSE = 'internal-ca-private-key';
/** Server certificates are renewed once two thirds of their life is spent. */
const RENEW_AT = 2 / 3;

/**
 * Makes sure the internal CA and the console's server certificate exist: the CA's private key is
 * kept sealed with the root key; the console key is kept readable by root alone.
 */
export function ensurePki(opts: {
  dataDir: string;
  rootKey: Buffer;
  consoleHostname: string;
  certDays: number;
}): Pki {
  const dir = path.join(opts.dataDir, 'pki');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caCertFile = path.join(dir, 'ca.crt');
  const caKeyFile = path.join(dir, 'ca.key.sealed');

  let ca: KeyPair;
  let caCreated = false;
  if (fs.existsSync(caCertFile) && fs.existsSync(caKeyFile)) {
    ca = {
      certPem: fs.readFileSync(caCertFile, 'utf8'),
      keyPem: unseal(opts.rootKey, CA_KEY_PURPOSE, fs.readFileSync(caKeyFile, 'utf8')).toString('utf8'),
    };
  } else {
    ca = createCaCertificate(`Sandbox appliance internal CA (${os.hostname()})`, 'Sandbox appliance', 10);
    fs.writeFileSync(caKeyFile, seal(opts.rootKey, CA_KEY_PURPOSE, Buffer.from(ca.keyPem)), { mode: 0o600 });
    fs.writeFileSync(caCertFile, ca.certPem, { mode: 0o644 });
    caCreated = true;
  }

  const certFile = path.join(dir, 'console.crt');
  const keyFile = path.join(dir, 'console.key');
  const dnsNames = [...new Set(['localhost', opts.consoleHostname, os.hostname()].filter((n) => !/^[\d.:[\]]+$/.test(n)))];
  const ipAddresses = [...new Set(['127.0.0.1', '::1', opts.consoleHostname.replace(/^\[|\]$/g, '')])];
  let consoleCert: KeyPair | null = null;
  if (!caCreated && fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const existing = { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
    if (lifeSpent(existing.certPem) < RENEW_AT && existing.certPem.length > 0) consoleCert = existing;
  }
  let consoleCreated = false;
  if (!consoleCert) {
    consoleCert = issueServerCertificate(ca, {
      commonName: opts.consoleHostname,
      dnsNames,
      ipAddresses,
      days: opts.certDays,
    });
    fs.writeFileSync(keyFile, consoleCert.keyPem, { mode: 0o600 });
    fs.writeFileSync(certFile, consoleCert.certPem, { mode: 0o644 });
    consoleCreated = true;
  }
  return {
    ca,
    caCertFile,
    caFingerprint: certificateFingerprint(ca.certPem),
    console: consoleCert,
    created: { ca: caCreated, consoleCert: consoleCreated },
  };
}

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
import { seal, unseal } from '../keys/seal';

export type ServerCertName = 'console' | 'gateway';

export type Pki = {
  ca: KeyPair;
  caCertFile: string;
  caFingerprint: string;
  console: KeyPair;
  gateway: KeyPair;
  created: { ca: boolean; console: boolean; gateway: boolean };
};

const CA_KEY_PURPOSE = 'internal-ca-private-key';
/** Server certificates are renewed once two thirds of their life is spent. */
export const RENEW_AT = 2 / 3;

type Options = { dataDir: string; rootKey: Buffer; hostname: string; certDays: number };

const pkiDir = (dataDir: string) => path.join(dataDir, 'pki');

/** Issues a fresh server certificate for the console or the gateway and stores it (key 0600). */
export function issueAndStoreServerCert(ca: KeyPair, name: ServerCertName, opts: Omit<Options, 'rootKey'>): KeyPair {
  const dnsNames = [...new Set(['localhost', opts.hostname, os.hostname()].filter((n) => !/^[\d.:[\]]+$/.test(n)))];
  const ipAddresses = [...new Set(['127.0.0.1', '::1', opts.hostname.replace(/^\[|\]$/g, '')])];
  const pair = issueServerCertificate(ca, { commonName: `${opts.hostname} ${name}`, dnsNames, ipAddresses, days: opts.certDays });
  fs.writeFileSync(path.join(pkiDir(opts.dataDir), `${name}.key`), pair.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(pkiDir(opts.dataDir), `${name}.crt`), pair.certPem, { mode: 0o644 });
  return pair;
}

/** The stored server certificate, or null when it is missing or due for renewal. */
function currentServerCert(dataDir: string, name: ServerCertName): KeyPair | null {
  const certFile = path.join(pkiDir(dataDir), `${name}.crt`);
  const keyFile = path.join(pkiDir(dataDir), `${name}.key`);
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) return null;
  const pair = { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
  return lifeSpent(pair.certPem) < RENEW_AT ? pair : null;
}

/**
 * Makes sure the internal CA and the server certificates of the console and the agent gateway
 * exist: the CA's private key is kept sealed with the root key; server keys readable by root alone.
 */
export function ensurePki(opts: Options): Pki {
  const dir = pkiDir(opts.dataDir);
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
  const server = (name: ServerCertName) => {
    const existing = caCreated ? null : currentServerCert(opts.dataDir, name);
    return existing ? { pair: existing, created: false } : { pair: issueAndStoreServerCert(ca, name, opts), created: true };
  };
  const consoleCert = server('console');
  const gatewayCert = server('gateway');
  return {
    ca,
    caCertFile,
    caFingerprint: certificateFingerprint(ca.certPem),
    console: consoleCert.pair,
    gateway: gatewayCert.pair,
    created: { ca: caCreated, console: consoleCert.created, gateway: gatewayCert.created },
  };
}

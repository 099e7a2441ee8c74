import { SiemDestinationBody } from '../../../lib/api/siem';
import { reseal, seal, unseal } from '../../keys/seal';

const PURPOSE = 'siem secret';

/** The destination's settings as stored: its secret (HEC token, authorization header) sealed with the root key. */
export function storedConfig(body: SiemDestinationBody, rootKey: Buffer): string {
  if (body.kind === 'splunk_hec') return JSON.stringify({ ...body, token: seal(rootKey, PURPOSE, Buffer.from(body.token)) });
  if (body.kind === 'https_ocsf' && body.authorization) return JSON.stringify({ ...body, authorization: seal(rootKey, PURPOSE, Buffer.from(body.authorization)) });
  return JSON.stringify(body);
}

/** The settings back, secret unsealed (in memory only, for delivery). */
export function loadedConfig(config: string, rootKey: Buffer): SiemDestinationBody {
  const raw = JSON.parse(config) as Record<string, unknown>;
  if (raw.kind === 'splunk_hec') raw.token = unseal(rootKey, PURPOSE, String(raw.token)).toString();
  if (raw.kind === 'https_ocsf' && typeof raw.authorization === 'string') raw.authorization = unseal(rootKey, PURPOSE, raw.authorization).toString();
  return SiemDestinationBody.parse(raw);
}

/** The stored settings with their secret sealed again under another root key (a root key rotation). */
export function resealedConfig(config: string, from: Buffer, to: Buffer): string {
  const raw = JSON.parse(config) as Record<string, unknown>;
  for (const field of ['token', 'authorization']) if (typeof raw[field] === 'string') raw[field] = reseal(from, to, raw[field]);
  return JSON.stringify(raw);
}

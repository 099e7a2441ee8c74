import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ExportView, type ExportBody } from '../lib/api/audit';
import type { BundleVerdict } from '../lib/ledger/verify-bundle';
import type { SbxClient } from './client';

export type { BundleVerdict, ExportView };
export { verifyBundleFile } from './verify-bundle-file';

const Answer = z.object({ export: ExportView });

/**
 * Makes an evidence bundle of the audit ledger and writes it to `out`: starts the export, reports
 * its progress (`onProgress`) until it is done, then downloads it. Returns the finished export,
 * whose `sha256` is the bundle's (also recorded in the ledger as the `audit.export` event).
 */
export async function exportAudit(
  client: SbxClient,
  range: ExportBody,
  out: string,
  onProgress: (view: ExportView) => void = () => undefined,
): Promise<ExportView> {
  let view = (await client.request('POST', '/audit/exports', Answer, range)).export;
  onProgress(view);
  while (view.state === 'running') {
    await new Promise((r) => setTimeout(r, 500));
    view = (await client.request('GET', `/audit/exports/${view.id}`, Answer)).export;
    onProgress(view);
  }
  if (view.state === 'failed') throw new Error(`export ${view.id} failed: ${view.error ?? 'unknown error'}`);
  const stream = await client.download(`/audit/exports/${view.id}/bundle`);
  const tmp = `${out}.part`;
  await pipeline(stream, fs.createWriteStream(tmp, { mode: 0o600 }));
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(tmp), hash);
  const got = hash.digest('hex');
  if (got !== view.sha256) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`the downloaded bundle's SHA-256 (${got}) is not the export's (${view.sha256 ?? 'none'})`);
  }
  fs.renameSync(tmp, out);
  return view;
}

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExportBody, ExportView } from '../../lib/api/audit';
import { AppError } from '../../lib/errors';
import type { ServerContext } from '../context';
import { getSettings } from '../settings/get-settings';
import { audited } from './audited';
import { auditEvent, type RequestMeta } from './event';
import { writeBundle } from './write-bundle';

/** Bundles are kept this long after they were made, then removed. */
const KEEP_MS = 24 * 3600_000;
const MAX_RUNNING = 2;

type Job = ExportView & { file: string };

const target = (id: string) => ({ type: 'system' as const, id, name: 'audit-export' });

/**
 * Evidence exports run in the background (a million events take a while) with their progress
 * visible; their bundles are kept on disk under the data directory for a day. An export is audited
 * before it reads anything (no audit, no export) and again with its bundle's digest.
 */
export class ExportJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly dir: string) {
    // Bundles of an earlier run cannot be asked for any more (the jobs lived in memory).
    fs.rmSync(dir, { recursive: true, force: true });
  }

  /** Starts an export; answers at once with its progress view. */
  async start(ctx: ServerContext, body: ExportBody, meta: RequestMeta): Promise<ExportView> {
    this.sweep();
    if ([...this.jobs.values()].filter((j) => j.state === 'running').length >= MAX_RUNNING) {
      throw new AppError('rate_limited', `${MAX_RUNNING} exports are running already; wait for one to finish.`);
    }
    const id = randomUUID();
    const from = body.from ?? null;
    const to = body.to ?? null;
    await audited(ctx, (_tx, record) => record(auditEvent(meta, { action: 'audit.export', details: { phase: 'start', exportId: id, from, to } }, target(id))));
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '').slice(0, 15);
    const job: Job = {
      id,
      state: 'running',
      from,
      to,
      createdAt: new Date().toISOString(),
      done: 0,
      total: ctx.ledger.size,
      events: 0,
      bytes: null,
      sha256: null,
      fileName: `sbx-audit-${stamp}-${id.slice(0, 8)}.tar`,
      error: null,
      file: path.join(this.dir, `${id}.tar`),
    };
    this.jobs.set(id, job);
    void this.run(ctx, job, meta);
    return this.view(job);
  }

  private async run(ctx: ServerContext, job: Job, meta: RequestMeta): Promise<void> {
    try {
      const settings = await getSettings(ctx);
      const { manifest, bytes, sha256 } = await writeBundle({ ...ctx, settings }, { exportId: job.id, from: job.from, to: job.to }, job.file, (p) => {
        job.done = p.done;
        job.total = p.total;
        job.events = p.events;
      });
      await audited(ctx, (_tx, record) =>
        record(
          auditEvent(
            meta,
            {
              action: 'audit.export',
              details: { phase: 'end', exportId: job.id, from: job.from, to: job.to, fromSeq: manifest.range.fromSeq, toSeq: manifest.range.toSeq, treeSize: manifest.treeSize, events: manifest.range.events, bytes, sha256 },
            },
            target(job.id),
          ),
        ),
      );
      Object.assign(job, { state: 'done', bytes, sha256 });
    } catch (error) {
      const message = error instanceof AppError ? error.message : `the export failed: ${(error as Error).message}`;
      ctx.log.error({ err: error, exportId: job.id }, 'audit export failed');
      fs.rmSync(job.file, { force: true });
      Object.assign(job, { state: 'failed', error: message });
      await audited(ctx, (_tx, record) =>
        record(auditEvent(meta, { action: 'audit.export', details: { phase: 'end', exportId: job.id, from: job.from, to: job.to, error: message } }, target(job.id), 'failure')),
      ).catch(() => undefined);
    }
  }

  get(id: string): ExportView {
    const job = this.jobs.get(id);
    if (!job) throw new AppError('not_found', `There is no export ${id} (bundles are kept for a day).`);
    return this.view(job);
  }

  /** The finished bundle's path, for download. */
  bundle(id: string): { file: string; fileName: string; bytes: number } {
    const job = this.jobs.get(id);
    if (!job) throw new AppError('not_found', `There is no export ${id} (bundles are kept for a day).`);
    if (job.state !== 'done' || job.bytes === null) throw new AppError('conflict', `Export ${id} is ${job.state}${job.error ? `: ${job.error}` : ''}.`);
    return { file: job.file, fileName: job.fileName, bytes: job.bytes };
  }

  private view(job: Job): ExportView {
    const { file: _file, ...view } = job;
    return view;
  }

  /** Removes bundles older than a day. */
  private sweep(): void {
    const now = Date.now();
    for (const [id, job] of this.jobs) {
      if (job.state !== 'running' && now - Date.parse(job.createdAt) > KEEP_MS) {
        fs.rmSync(job.file, { force: true });
        this.jobs.delete(id);
      }
    }
  }
}

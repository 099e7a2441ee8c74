import fs from 'node:fs';
import { z } from 'zod';
import { ExportBody } from '../../../lib/api/audit';
import { exportAudit, verifyBundleFile } from '../../audit';
import { clientFrom, parse, UsageError, type Command } from '../command';

/** `sbx audit export --out FILE [--from T] [--to T]`: makes an evidence bundle and downloads it. */
export const auditExport: Command = {
  usage: 'sbx audit export --out FILE [--from TIME] [--to TIME]  (times in ISO 8601)',
  async run(args, io) {
    const { values, positionals } = parse(args, { out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (typeof values.out !== 'string' || values.out === '') throw new UsageError('--out: expected the file to write the bundle to');
    const range = ExportBody.safeParse({ from: values.from, to: values.to });
    if (!range.success) {
      const issue = range.error.issues[0];
      throw new UsageError(`--${issue?.path.join('.') ?? 'from'}: ${issue?.message ?? 'invalid'}`);
    }
    const tty = process.stderr.isTTY;
    let lastPct = -1;
    const view = await exportAudit(clientFrom(values), range.data, values.out, (v) => {
      const pct = v.total > 0 ? Math.floor((v.done / v.total) * 100) : 100;
      if (pct === lastPct) return;
      lastPct = pct;
      const line = `exporting: ${v.done.toLocaleString('en')} of ${v.total.toLocaleString('en')} ledger positions read (${pct}%), ${v.events.toLocaleString('en')} events`;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    });
    if (tty) process.stderr.write('\n');
    if (values.json) return io.out(JSON.stringify(view, null, 2));
    io.out(`wrote ${values.out}: ${view.events} events, ${view.bytes} bytes, sha256 ${view.sha256}`);
    io.out(`check it anywhere with: sbx audit verify ${values.out} --key KEY  (the key is on the console's Audit page)`);
  },
};

const Workers = z.coerce.number().int().min(0).max(64);

/** `sbx audit verify FILE [--key K]... [--checkpoint FILE]`: checks a bundle offline; exit 1 names the first bad event. */
export const auditVerify: Command = {
  usage: 'sbx audit verify FILE [--key VERIFIER_KEY]... [--checkpoint EARLIER_CHECKPOINT_FILE] [--workers N] [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, { key: { type: 'string', multiple: true }, checkpoint: { type: 'string' }, workers: { type: 'string' } });
    const workers = values.workers === undefined ? undefined : Workers.safeParse(values.workers);
    if (workers && !workers.success) throw new UsageError(`--workers: expected a whole number from 0 to 64 (threads; 0 checks on this one), got "${values.workers}"`);
    if (positionals.length !== 1) throw new UsageError('expected one bundle file');
    const file = positionals[0] as string;
    if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
    let earlier: string | undefined;
    if (typeof values.checkpoint === 'string') {
      if (!fs.existsSync(values.checkpoint)) throw new UsageError(`--checkpoint: ${values.checkpoint}: no such file`);
      earlier = fs.readFileSync(values.checkpoint, 'utf8');
    }
    const verdict = await verifyBundleFile(file, { keys: values.key, earlier, workers: workers?.data });
    if (values.json) io.out(JSON.stringify({ ...verdict, manifest: undefined, range: verdict.manifest?.range }, null, 2));
    else if (verdict.ok && verdict.manifest) {
      const m = verdict.manifest;
      io.out(`OK: ${verdict.events} events (${m.range.fromSeq}..${m.range.toSeq}) of a ledger of ${m.treeSize}, root ${m.root}`);
      io.out(`${verdict.checkpoints} signed checkpoints hold and are consistent; manifest signed; every file matches its digest`);
      if (earlier) io.out('the ledger only grew since the earlier checkpoint');
      io.out(verdict.trust === 'pinned' ? 'signed by the key(s) you gave' : `signed by the bundle's own key(s); compare with the console's before relying on it:\n  ${verdict.keys.join('\n  ')}`);
    } else {
      io.out(`FAILED: ${verdict.problems[0] ?? 'unknown problem'}`);
      if (verdict.firstBadSeq !== null) io.out(`first bad event: ${verdict.firstBadSeq}`);
      for (const p of verdict.problems.slice(1)) io.out(`also: ${p}`);
    }
    if (!verdict.ok) process.exitCode = 1;
  },
};

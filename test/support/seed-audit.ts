import Database from 'better-sqlite3';
import { GENESIS_HASH, type AuditEventInput } from '../../lib/audit/events';
import { chainEvents } from '../../server/audit/append-event';
import { rowOfEvent } from '../../server/audit/record-of-row';

const actors = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

/**
 * Appends `count` valid, chained audit events straight into the database file (for scale tests and
 * benchmarks only), continuing from the chain's current head so that verification still passes.
 */
export function seedAuditEvents(databaseFile: string, count: number, startAt = new Date(Date.now() - count * 1000)): void {
  const db = new Database(databaseFile);
  const head = db.prepare('SELECT seq, hash FROM AuditEvent ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  const chain = { seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS_HASH };
  const insert = db.prepare(
    `INSERT INTO AuditEvent (seq, at, actorType, actorId, actorName, action, targetType, targetId, targetName, outcome, sourceIp, userAgent, requestId, details, prevHash, hash, leaf)
     VALUES (@seq, @at, @actorType, @actorId, @actorName, @action, @targetType, @targetId, @targetName, @outcome, @sourceIp, @userAgent, @requestId, @details, @prevHash, @hash, @leaf)`,
  );
  const start = startAt.getTime();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const name = actors[i % actors.length] ?? 'alice';
      const failed = i % 10 === 0;
      const event: AuditEventInput = {
        action: 'auth.sign_in',
        details: failed ? { reason: 'bad_password', failures: 1 } : {},
        actor: { type: 'user', id: `id-${name}`, name },
        target: { type: 'user', id: `id-${name}`, name },
        outcome: failed ? 'failure' : 'success',
        sourceIp: '127.0.0.1',
        userAgent: 'seed',
        requestId: `seed-${chain.seq + 1}`,
        at: new Date(start + i * 1000).toISOString(),
      };
      const [a] = chainEvents(chain, [event]) as [ReturnType<typeof chainEvents>[number]];
      insert.run(rowOfEvent(a.seq, a.prevHash, a.hash, event, a.leaf.toString('hex')));
    }
  })();
  db.close();
}

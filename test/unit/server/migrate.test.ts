import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateSqlite } from '../../../server/db/migrate';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-migrate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const migrations = path.resolve(import.meta.dirname, '../../../prisma/migrations');

describe('migrateSqlite', () => {
  it('applies the committed migrations once, recorded as Prisma records them', () => {
    const file = path.join(dir, 'a.db');
    const first = migrateSqlite(file, migrations);
    expect(first.applied.length).toBe(first.total);
    expect(migrateSqlite(file, migrations).applied).toEqual([]);
    const db = new Database(file);
    const rows = db.prepare('SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations').all() as {
      checksum: string;
      finished_at: number | null;
      applied_steps_count: number;
    }[];
    db.close();
    expect(rows).toHaveLength(first.total);
    expect(rows[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]?.applied_steps_count).toBe(1);
    expect(rows[0]?.finished_at).not.toBeNull();
  });

  it('makes the audit table append-only in the database itself', () => {
    const file = path.join(dir, 'b.db');
    migrateSqlite(file, migrations);
    const db = new Database(file);
    db.prepare(
      "INSERT INTO AuditEvent (seq, at, actorType, actorName, action, outcome, requestId, details, prevHash, hash) VALUES (1, 't', 'system', 's', 'system.start', 'success', 'r', '{}', 'p', 'h')",
    ).run();
    expect(() => db.prepare("UPDATE AuditEvent SET outcome = 'failure'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM AuditEvent').run()).toThrow(/append-only/);
    db.close();
  });

  it('refuses a migration changed after it was applied, and retries one that failed', () => {
    const own = path.join(dir, 'migs');
    fs.mkdirSync(path.join(own, '001_a'), { recursive: true });
    fs.writeFileSync(path.join(own, '001_a', 'migration.sql'), 'CREATE TABLE t (x INTEGER);');
    const file = path.join(dir, 'c.db');
    migrateSqlite(file, own);
    fs.writeFileSync(path.join(own, '001_a', 'migration.sql'), 'CREATE TABLE t (y INTEGER);');
    expect(() => migrateSqlite(file, own)).toThrow(/changed after it was applied/);
    fs.writeFileSync(path.join(own, '001_a', 'migration.sql'), 'CREATE TABLE t (x INTEGER);');
    fs.mkdirSync(path.join(own, '002_b'));
    fs.writeFileSync(path.join(own, '002_b', 'migration.sql'), 'CREATE TABLE u (x INTEGER); SELECT nope FROM missing;');
    expect(() => migrateSqlite(file, own)).toThrow(/002_b failed/);
    fs.writeFileSync(path.join(own, '002_b', 'migration.sql'), 'CREATE TABLE u (x INTEGER);');
    expect(migrateSqlite(file, own).applied).toEqual(['002_b']);
  });
});

import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type MigrationResult = { applied: string[]; total: number };

/**
 * Applies the committed `prisma/migrations/<name>/migration.sql` files in name order and records them
 * in `_prisma_migrations` exactly as Prisma's engine does, so that no schema-engine binary (which
 * Prisma downloads at run time) is needed. A migration left half-done blocks start-up.
 */
export function migrateSqlite(databaseFile: string, migrationsDir: string): MigrationResult {
  const db = new Database(databaseFile);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" TEXT PRIMARY KEY NOT NULL,
      "checksum" TEXT NOT NULL,
      "finished_at" DATETIME,
      "migration_name" TEXT NOT NULL,
      "logs" TEXT,
      "rolled_back_at" DATETIME,
      "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
      "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
    )`);
    const rows = db
      .prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations')
      .all() as { migration_name: string; checksum: string; finished_at: string | null; rolled_back_at: string | null }[];
    const blocked = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (blocked) {
      throw new Error(
        `migration ${blocked.migration_name} failed earlier and was not resolved; restore the database from a backup`,
      );
    }
    const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r.checksum]));
    const names = fs
      .readdirSync(migrationsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
      .map((d) => d.name)
      .sort();
    const applied: string[] = [];
    for (const name of names) {
      const sql = fs.readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const known = done.get(name);
      if (known !== undefined) {
        if (known !== checksum) throw new Error(`migration ${name} was changed after it was applied`);
        continue;
      }
      const id = randomUUID();
      db.prepare(
        'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, 0)',
      ).run(id, checksum, name, Date.now());
      try {
        db.transaction(() => db.exec(sql))();
      } catch (error) {
        // SQLite DDL is transactional, so nothing of the script stayed: mark the attempt rolled back
        // so that a corrected migration can run on the next start.
        db.prepare('UPDATE _prisma_migrations SET logs = ?, rolled_back_at = ? WHERE id = ?').run(
          String(error),
          Date.now(),
          id,
        );
        throw new Error(`migration ${name} failed: ${(error as Error).message}`);
      }
      db.prepare('UPDATE _prisma_migrations SET finished_at = ?, applied_steps_count = 1 WHERE id = ?').run(Date.now(), id);
      applied.push(name);
    }
    return { applied, total: names.length };
  } finally {
    db.close();
  }
}

/**
 * Writes a new migration under prisma/migrations from the change to prisma/schema.prisma since the
 * last migration, using Prisma's schema engine compiled to WebAssembly (the CLI's native engine is
 * downloaded at run time, which this appliance never does). Each migration folder keeps the schema
 * it produced, so the next diff starts from there.
 *
 * Usage: npm run db:migration -- NAME
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const root = path.resolve(import.meta.dirname, '..');
const migrationsDir = path.join(root, 'prisma', 'migrations');
const schemaFile = path.join(root, 'prisma', 'schema.prisma');

async function loadEngine() {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const glue = (await import(path.join(pkgDir, 'schema_engine_bg.js'))) as Record<string, unknown> & {
    __wbg_set_wasm: (exports: WebAssembly.Exports) => void;
  };
  const module = new WebAssembly.Module(fs.readFileSync(path.join(pkgDir, 'schema_engine_bg.wasm')));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': glue as WebAssembly.ModuleImports });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue.SchemaEngine as {
    new: (
      o: { datamodels: [string, string][] },
      log: (msg: string) => void,
      adapter: object,
    ) => Promise<{ diff: (p: object) => Promise<{ stdout: string | null }>; free: () => void }>;
  };
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error('usage: npm run db:migration -- NAME   (NAME: lower-case letters, digits, underscore)');
    process.exit(2);
  }
  const next = fs.readFileSync(schemaFile, 'utf8');
  const previous = fs.existsSync(migrationsDir)
    ? fs
        .readdirSync(migrationsDir)
        .filter((d) => fs.existsSync(path.join(migrationsDir, d, 'schema.prisma')))
        .sort()
        .pop()
    : undefined;
  const from = previous
    ? {
        tag: 'schemaDatamodel',
        files: [{ path: 'schema.prisma', content: fs.readFileSync(path.join(migrationsDir, previous, 'schema.prisma'), 'utf8') }],
      }
    : { tag: 'empty' };
  const SchemaEngine = await loadEngine();
  // The engine expects the adapter in the wrapped form Prisma's own CLI hands it.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaBetterSqlite3({ url: ':memory:' }));
  const engine = await SchemaEngine.new({ datamodels: [['schema.prisma', next]] }, () => {}, adapter);
  const result = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: next }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  engine.free();
  const sql = result.stdout ?? '';
  if (!/\b(CREATE|ALTER|DROP|INSERT)\b/i.test(sql)) {
    console.log('schema.prisma has no change since the last migration');
    process.exit(0);
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
  fs.writeFileSync(path.join(dir, 'schema.prisma'), next);
  console.log(`wrote ${path.relative(root, dir)}/migration.sql`);
  process.exit(0);
}

void main();

import { defineConfig } from 'prisma/config';

// Used by `prisma generate` only; migrations are applied by server/db/migrate.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});

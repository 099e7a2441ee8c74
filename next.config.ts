import type { NextConfig } from 'next';

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Type checking and linting run in `npm test` (tsc, eslint); the build only compiles.
  typescript: { ignoreBuildErrors: true },
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', 'pino', 'prom-client'],
  turbopack: { root: import.meta.dirname },
};

export default config;

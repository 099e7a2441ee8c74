#!/usr/bin/env bash
# Brings a checkout to a runnable state, doing only what is missing: system packages, npm
# dependencies, the Prisma client and the console build. Used by `npm start` and `npm test`.
# Usage: setup.sh [--with-test-tools]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system.sh "${1:-}"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi

if [ ! -f server/db/generated/client.ts ] || [ prisma/schema.prisma -nt server/db/generated/client.ts ]; then
  echo "setup: generating the Prisma client"
  # generate needs no schema engine, but the CLI insists one exists; it is never run.
  PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npx prisma generate >/dev/null
fi

stamp=$( (find app lib server -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.css' \) -not -path 'server/db/generated/*' -print0 | sort -z | xargs -0 sha256sum; sha256sum next.config.ts package-lock.json tsconfig.json prisma/schema.prisma) | sha256sum | cut -d' ' -f1)
if [ ! -f .next/BUILD_ID ] || [ "$(cat .next/sbx-build-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "setup: building the console (next build)"
  npx next build >/tmp/sbx-next-build.log 2>&1 || { cat /tmp/sbx-next-build.log; exit 1; }
  echo "$stamp" > .next/sbx-build-stamp
fi

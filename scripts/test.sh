#!/usr/bin/env bash
# `npm test`: set up what is missing (browser included), then every check and every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh --with-test-tools
export NODE_ENV=production
step() { echo; echo "=== $1"; }
step "typecheck (tsc --noEmit)"; npx tsc --noEmit -p tsconfig.json
step "lint (eslint, import boundaries)"; npx eslint --max-warnings 0 .
step "unit tests"; npx vitest run --project unit
step "integration tests (real control plane, TLS, SQLite)"; npx vitest run --project integration
step "end-to-end tests (Playwright, Chromium)"; npx playwright test
echo; echo "npm test: all suites passed in $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# `npm test`: set up what is missing (browser included), then every check and every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh --with-test-tools
export NODE_ENV=production
log=$(mktemp)
trap 'rm -f "$log"' EXIT
step() { echo; echo "=== $1"; }
strip() { sed -u 's/\x1b\[[0-9;]*m//g'; }
step "typecheck (tsc --noEmit)"; npx tsc --noEmit -p tsconfig.json
step "lint (eslint, import boundaries)"; npx eslint --max-warnings 0 .
step "unit tests"; npx vitest run --project unit 2>&1 | strip | tee -a "$log"
step "integration and hostile tests (real control plane, TLS, SQLite)"; npx vitest run --project integration 2>&1 | strip | tee -a "$log"
step "end-to-end tests (Playwright, Chromium)"; npx playwright test 2>&1 | strip | tee -a "$log"
passed=$( (grep -E '^ +Tests +[0-9]+ passed' "$log" | awk '{s+=$2} END {print s+0}'; grep -E '^ +[0-9]+ passed \(' "$log" | awk '{s+=$1} END {print s+0}') | awk '{s+=$1} END {print s}')
echo
echo "npm test: all suites passed in $(( $(date +%s) - start )) s"
echo "${passed} passed, 0 failed"

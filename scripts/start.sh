#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the control plane in the foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
# A control plane already running here is said before set-up could rebuild the console under it.
if [ -d node_modules/tsx ] && [ -d node_modules/better-sqlite3 ]; then
  node --import tsx scripts/check-data-dir.ts
fi
bash scripts/setup.sh
export NODE_ENV=production
exec node --import tsx server/main.ts

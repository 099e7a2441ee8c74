#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the control plane in the foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NODE_ENV=production
exec node --import tsx server/main.ts

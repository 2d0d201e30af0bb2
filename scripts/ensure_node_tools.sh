#!/usr/bin/env bash
# Node tools the orchestration tests run (asl-validator), installed into orchestration/node_modules from the
# checked-in package-lock.json. Node.js and npm come from apt when missing.
set -euo pipefail
cd "$(dirname "$0")/../orchestration"

if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: installing Node.js and npm with apt" >&2
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

# npm ci installs exactly the locked versions; skip it when they are already in place.
if [ ! -x node_modules/.bin/asl-validator ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/asl-validator --version >/dev/null

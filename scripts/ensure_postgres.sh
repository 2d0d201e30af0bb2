#!/usr/bin/env bash
# The tests run dbt against a real PostgreSQL server that they start themselves; install the server from the
# distribution's packages when no initdb is on this machine.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null; then
  exit 0
fi
echo "PostgreSQL server not found: installing it with apt" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null

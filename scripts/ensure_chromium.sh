#!/usr/bin/env bash
# The browser tests drive Debian's headless Chromium (Playwright attaches to it; it never downloads a browser of
# its own). Install chromium and its driver from the distribution's packages when they are missing.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
echo "Chromium not found: installing chromium and chromium-driver with apt" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null

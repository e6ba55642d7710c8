#!/usr/bin/env bash
# The browser tests: the dashboard, Swagger UI and the presigned plot in headless Chromium, against the
# local stack that each test file starts. Run from anywhere after `cargo build --workspace` (the tests run
# target/debug/s3-size-micro and target/debug/driver, or those in $BIN_DIR).
#
#   bash e2e/ci.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

# No browser is a failed run, here and in CI alike (the tests never skip): Debian's chromium is installed
# when missing; when that fails, or CHROMIUM names no browser, one line says what to install.
if [ ! -x "$CHROMIUM" ] && [ "$CHROMIUM" = /usr/bin/chromium ]; then
  echo "==> installing Chromium (apt-get install chromium)"
  apt_log="$(mktemp)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >"$apt_log" 2>&1; then
    echo "error: no Chromium at $CHROMIUM, and \`apt-get install chromium\` failed ($(grep -m1 -E '^(E|W):' "$apt_log" || tail -n 1 "$apt_log")): install Debian's chromium as root, or set CHROMIUM to a Chromium binary" >&2
    rm -f "$apt_log"
    exit 1
  fi
  rm -f "$apt_log"
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "error: no Chromium at $CHROMIUM: install Debian's chromium (apt-get install chromium), or set CHROMIUM to a Chromium binary" >&2
  exit 1
fi

for bin in s3-size-micro driver; do
  if [ ! -x "${BIN_DIR:-$root/target/debug}/$bin" ]; then
    echo "error: ${BIN_DIR:-$root/target/debug}/$bin is missing: run \`cargo build --workspace\` first" >&2
    exit 1
  fi
done

echo "==> npm ci (e2e/)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

echo "==> browser tests ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
cd "$root"
# The spec reporter prints each test and, last, node's summary (tests, pass, fail, …).
node --test --test-reporter=spec e2e/*.test.mjs

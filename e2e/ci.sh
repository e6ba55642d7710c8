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

if [ ! -x "$CHROMIUM" ] && [ "$CHROMIUM" = /usr/bin/chromium ]; then
  echo "==> installing Chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# The tests skip without a browser, except under CI=true, where they fail: say why up front.
if [ ! -x "$CHROMIUM" ]; then
  echo "error: no Chromium at $CHROMIUM" >&2
  [ "${CI:-}" = true ] && exit 1
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

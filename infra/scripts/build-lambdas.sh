#!/usr/bin/env bash
# Builds the Lambda code: target/lambda/<binary>/bootstrap.zip for each binary that
# contract/functions.json names (one per function), arm64 (aarch64) for provided.al2023, with
# cargo-lambda. Installs what is missing first: cargo-lambda (from PyPI, which brings zig for
# cross-linking) into <repo>/.venv, and the aarch64-unknown-linux-gnu rustup target.
#
#   npm --prefix infra run build:lambdas
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

if ! command -v node >/dev/null 2>&1; then
  echo "build:lambdas: node is not on PATH; it reads the binaries from contract/functions.json" >&2
  exit 1
fi
# The contract is the one list of binaries: the infra deploys each function from the zip of its binary.
# (Plain node, not the infra's TypeScript: this runs before `npm ci` in scripts/test-all.)
listed="$(node -e '
  const { functions } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn.binary !== "string" || !/^[^\s\/]+$/.test(fn.binary)) throw new Error(`function ${name}: binary ${fn.binary}`);
    console.log(fn.binary);
  }' contract/functions.json)"
binaries=()
while IFS= read -r binary; do
  if [ -n "$binary" ]; then binaries+=("$binary"); fi
done <<<"$listed"
if [ "${#binaries[@]}" -eq 0 ]; then
  echo "build:lambdas: contract/functions.json names no binary" >&2
  exit 1
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "build:lambdas: cargo is not on PATH; install Rust with rustup first" >&2
  exit 1
fi
if ! command -v cargo-lambda >/dev/null 2>&1; then
  venv="$repo/.venv"
  if [ ! -x "$venv/bin/cargo-lambda" ]; then
    echo "build:lambdas: installing cargo-lambda into $venv" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet cargo-lambda
  fi
  export PATH="$venv/bin:$PATH"
fi
if command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    rustup target add aarch64-unknown-linux-gnu
  fi
fi

bin_args=()
for binary in "${binaries[@]}"; do bin_args+=(--bin "$binary"); done
# --workspace: features are resolved for the whole workspace, as in every other build of it.
cargo lambda build --release --arm64 --output-format zip --lambda-dir target/lambda --workspace "${bin_args[@]}"

for binary in "${binaries[@]}"; do
  zip="target/lambda/$binary/bootstrap.zip"
  if [ ! -f "$zip" ]; then
    echo "build:lambdas: $zip was not produced" >&2
    exit 1
  fi
  echo "built $zip ($(wc -c <"$zip") bytes)"
done

#!/usr/bin/env bash
# CI of infra/: install, type-check, test, synthesize the four stacks, lint the templates, list the
# stacks offline. Builds no Rust: the Lambda code is a stub unless LAMBDA_ASSET_DIR points at real zips
# (<dir>/<binary>/bootstrap.zip for each binary in contract/functions.json). Needs node >= 20.15, npm, and
# cfn-lint on PATH (or in <repo>/.venv).
#
#   bash infra/ci.sh
set -euo pipefail
infra="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$infra"

export CDK_HOME="$infra/.cdk-home"
export CDK_DISABLE_VERSION_CHECK=1
export CDK_DISABLE_CLI_TELEMETRY=true
work="$(mktemp -d "${TMPDIR:-/tmp}/infra-ci.XXXXXX")"
trap 'rm -rf "$work"' EXIT

step() { printf '\n==> infra: %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund

step "typecheck (tsc --noEmit)"
npm run --silent typecheck

step "tests (node --test)"
npm test 2>&1 | tee "$work/test.log"
passed="$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$work/test.log")"
failed="$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$work/test.log")"

if [ -n "${LAMBDA_ASSET_DIR:-}" ]; then
  assets="$(cd "$LAMBDA_ASSET_DIR" && pwd)"
  echo "Lambda code from $assets"
else
  assets="$work/lambda"
  node --import tsx scripts/stub-assets.ts "$assets"
fi

# The default deployment (dev, api behind the Lambda Web Adapter), the other one a prop allows (data
# retained, api on native lambda_http), the api protected (an API key, a WAF rate limit, its
# concurrency reserved), the api behind IAM authorization (the driver signs its requests), and two
# existing buckets tracked beside the own one (their EventBridge rules).
for variant in default retained-native protected protected-iam tracked; do
  case "$variant" in
    default) context=() ;;
    retained-native) context=(-c dev=false -c webAdapter=false) ;;
    protected) context=(-c apiAuth=apiKey -c wafRateLimit=1000 -c apiReservedConcurrency=10) ;;
    protected-iam) context=(-c apiAuth=iam) ;;
    tracked) context=(-c trackedBuckets=bucket-a,logs.example-b) ;;
  esac
  step "cdk synth, $variant (four stacks, cdk-nag AwsSolutions)"
  LAMBDA_ASSET_DIR="$assets" bash scripts/cdk.sh synth --quiet "${context[@]}" --output "$work/cdk.out.$variant"
  ls "$work/cdk.out.$variant"/*.template.json

  step "cfn-lint, $variant"
  bash scripts/lint-cfn.sh "$work/cdk.out.$variant"
done

step "cdk ls (offline, no Lambda code needed)"
start=$SECONDS
LAMBDA_ASSET_DIR="$work/no-lambda-code" timeout 120 bash scripts/cdk.sh ls --output "$work/cdk-ls.out" | tee "$work/ls.txt"
expected=$'StorageStack\nSizeTrackingLambdaStack\nPlotLambdaStack\nDriverLambdaStack'
if [ "$(cat "$work/ls.txt")" != "$expected" ]; then
  echo "infra: cdk ls listed other stacks than the four, in order" >&2
  exit 1
fi
echo "cdk ls: 4 stacks in $((SECONDS - start)) s"

step "ok"
echo "infra: ${passed:-0} passed, ${failed:-0} failed"

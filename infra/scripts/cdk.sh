#!/usr/bin/env bash
# The CDK CLI of this package, offline and quiet: no notices, no version check, no telemetry, and its
# state in infra/.cdk-home instead of ~/.cdk. Runs from infra/, wherever it is called from.
#
#   bash infra/scripts/cdk.sh ls
#   npm --prefix infra run cdk -- deploy --all
set -euo pipefail
infra="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CDK_HOME="${CDK_HOME:-$infra/.cdk-home}"
export CDK_DISABLE_VERSION_CHECK=1
export CDK_DISABLE_CLI_TELEMETRY=true
cd "$infra"
if [ ! -x node_modules/.bin/cdk ]; then
  echo "infra: node_modules is missing; run \`npm --prefix infra ci\` first" >&2
  exit 1
fi
exec node_modules/.bin/cdk --no-notices "$@"

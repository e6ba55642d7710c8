#!/usr/bin/env bash
# cfn-lint on the four synthesized templates (default: infra/cdk.out, written by `npm run synth`).
# Any finding fails, except the warnings that .cfnlintrc.yaml ignores by id, each with its reason.
set -euo pipefail
infra="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$infra/cdk.out}"
if ! command -v cfn-lint >/dev/null 2>&1; then
  if [ -x "$infra/../.venv/bin/cfn-lint" ]; then
    PATH="$infra/../.venv/bin:$PATH"
  else
    echo "lint:cfn: cfn-lint is not on PATH; install it with \`pip install cfn-lint\` (for example into <repo>/.venv)" >&2
    exit 127
  fi
fi
shopt -s nullglob
templates=("$dir"/*.template.json)
if [ "${#templates[@]}" -ne 4 ]; then
  echo "lint:cfn: expected 4 templates in $dir, found ${#templates[@]}; synthesize first (npm run synth)" >&2
  exit 1
fi
cfn-lint --version
cfn-lint --config-file "$infra/.cfnlintrc.yaml" -- "${templates[@]}"
echo "cfn-lint: ${#templates[@]} templates, no errors, no unignored warnings"

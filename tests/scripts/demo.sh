#!/usr/bin/env bash
# `make demo`: three emulated consoles (one per region) on 127.0.0.1, and
# examples/multi-region-ha applied to them: region 1 creates the CA, identities, MSP and peer;
# regions 2 and 3 import them and run their own peers; every peer is imported into every other
# console and the ordering service into all three. Then a summary of what each console holds,
# a plan that must be empty, and a destroy that must leave the consoles empty.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/scripts/lib.sh"
# start_consoles runs the emulator from $release: here the debug build `make demo` just made.
release="${CARGO_TARGET_DIR:-$root/target}/debug"
make_workdir demo

command -v terraform >/dev/null || { echo "terraform is not installed (need 1.11+)" >&2; exit 1; }
consoles=(region1 region2 region3)
ports=(0 0 0)
urls=()

echo "== starting three emulated consoles (deployer delay ${DEPLOYER_DELAY:-2s}, the real console's rate limits)"
ready_count=1 start_consoles "$work" 25 "${DEPLOYER_DELAY:-2s}"
for i in 0 1 2; do echo "  ${consoles[$i]} at ${urls[$i]}"; done
write_mirror_cli_config "$work" "$release"
example_vars
dir=$(copy_example multi-region-ha "$work")
cd "$dir"

echo "== terraform init"
terraform init -input=false -no-color >/dev/null
echo "== terraform plan (saved; its summary)"
terraform plan -out=tfplan -no-color >"$work/plan.log"
grep -E '^Plan:' "$work/plan.log"
echo "== terraform apply"
terraform apply -no-color tfplan
echo "== what each console holds"
console_summary
echo "== terraform plan (must show no changes)"
set +e
terraform plan -detailed-exitcode -no-color
code=$?
set -e
if [ "$code" -ne 0 ]; then echo "plan after apply was not empty (exit $code)" >&2; exit 1; fi
echo "== terraform destroy"
terraform destroy -auto-approve -no-color | grep -E '(Destroying|Destruction complete|Destroy complete)'
left=$(console_summary)
echo "$left"
[ "$(echo "$left" | grep -c ': 0 components')" -eq 3 ] || { echo "destroy left components behind" >&2; exit 1; }
echo "== demo finished"

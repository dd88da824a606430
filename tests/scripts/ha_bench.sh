#!/usr/bin/env bash
# `make bench` (part 4): the apply of examples/multi-region-ha against three emulated consoles
# whose deployer takes HA_DELAY (default 20s) for each CA and peer, at the real console's rate
# limits. Prints the apply's wall time, the critical path (the longest dependency chain's sum of
# deploy delays, from the dependencies Terraform records in state) and their ratio, then
# destroys. Goal: ratio <= 1.15 (nothing serialised that could run in parallel, and polling
# that adds no more than a few percent).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/scripts/lib.sh"
release="${CARGO_TARGET_DIR:-$root/target}/release"
delay=${HA_DELAY:-20s}
make_workdir ha-bench

for b in terraform-provider-blockchain blockchain-emulator; do
  [ -x "$release/$b" ] || { echo "build first: cargo build --release --workspace (no $release/$b)" >&2; exit 1; }
done
consoles=(region1 region2 region3)
ports=(0 0 0)
urls=()
ready_count=1 start_consoles "$work" 25 "$delay"
write_mirror_cli_config "$work" "$release"
example_vars
dir=$(copy_example multi-region-ha "$work")
cd "$dir"
terraform init -input=false -no-color >/dev/null

start=$EPOCHREALTIME
terraform apply -auto-approve -no-color -json >"$work/apply.jsonl"
end=$EPOCHREALTIME
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
terraform show -json >"$work/state.json"
seconds=$(python3 -c "import sys,re; v=sys.argv[1]; m=re.fullmatch(r'([0-9.]+)(ms|s|m)', v); print(float(m[1]) * {'ms': 0.001, 's': 1, 'm': 60}[m[2]])" "$delay")
echo "== three-region HA apply, deploy delay $delay"
python3 "$root/tests/scripts/critical_path.py" "$work/apply.jsonl" "$work/state.json" "$seconds" "$wall"
[ -n "${HA_KEEP:-}" ] && cp "$work/apply.jsonl" "$work/state.json" "$HA_KEEP/"
terraform destroy -auto-approve -no-color >/dev/null

#!/usr/bin/env bash
# `make bench` (part 2): end-to-end numbers for the release provider against the emulator:
# median wall time of `terraform plan` on a one-CA config (5 runs), the provider's peak RSS
# during apply, and the release binary's size.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/scripts/lib.sh"
release="${CARGO_TARGET_DIR:-$root/target}/release"
make_workdir measure

[ -x "$release/terraform-provider-blockchain" ] || { echo "build first: cargo build --release --workspace" >&2; exit 1; }
DEPLOYER_DELAY=1s start_emulator "$release" "$work"

# The provider runs behind a wrapper that records its peak RSS (VmHWM) when it exits.
mkdir -p "$work/provider"
cat >"$work/provider/terraform-provider-blockchain" <<WRAP
#!/usr/bin/env bash
"$release/terraform-provider-blockchain" "\$@" &
child=\$!
peak=0
while kill -0 \$child 2>/dev/null; do
  hwm=\$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/\$child/status 2>/dev/null || true)
  [ -n "\$hwm" ] && [ "\$hwm" -gt "\$peak" ] && peak=\$hwm
  sleep 0.02
done
echo "\$peak" >>"$work/rss.log"
wait \$child
WRAP
chmod +x "$work/provider/terraform-provider-blockchain"
write_cli_config "$work" "$work/provider"
export BLOCKCHAIN_CONSOLE_URL="$console_url" BLOCKCHAIN_API_KEY=demo-key BLOCKCHAIN_API_SECRET=demo-secret
cp "$root/examples/demo/main.tf" "$work/"
cd "$work"

terraform apply -auto-approve -no-color >/dev/null
peak_apply=$(sort -n rss.log | tail -n1)

# Plain provider (no wrapper) for timing.
write_cli_config "$work" "$release"
times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s.%N)
  terraform plan -no-color >/dev/null
  end=$(date +%s.%N)
  times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
terraform destroy -auto-approve -no-color >/dev/null

echo "terraform plan, one CA, median of 5: ${median} s (runs: ${times[*]})"
echo "provider peak RSS during apply (max over provider processes): ${peak_apply} kB"
echo "release binary size: $(stat -c %s "$release/terraform-provider-blockchain") bytes"

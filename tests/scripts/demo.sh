#!/usr/bin/env bash
# `make demo`: start one emulated console, apply examples/demo, show that the next plan is
# empty, destroy, stop the emulator. Everything stays on 127.0.0.1 and in a temp folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/target/debug"
work=$(mktemp -d "${TMPDIR:-/tmp}/blockchain-demo.XXXXXX")
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v terraform >/dev/null || { echo "terraform is not installed (need 1.11+)" >&2; exit 1; }

echo "== starting the console emulator"
"$bin/blockchain-emulator" --console region1=0:demo-key:demo-secret --db "$work/emulator.redb" \
  --deployer-delay 2s >"$work/emulator.log" 2>&1 &
emulator_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^console region1 listening on \(http[^ ]*\).*/\1/p' "$work/emulator.log" | head -n1)
  [ -n "$url" ] && grep -q '^ready' "$work/emulator.log" && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the emulator did not start" >&2; cat "$work/emulator.log" >&2; exit 1; }
echo "console region1 at $url"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/ibm-blockchain/blockchain" = "$bin"
  }
  direct {}
}
RC
cp "$root/examples/demo/main.tf" "$work/"

export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export BLOCKCHAIN_CONSOLE_URL="$url" BLOCKCHAIN_API_KEY=demo-key BLOCKCHAIN_API_SECRET=demo-secret
cd "$work"

echo "== terraform apply"
terraform apply -auto-approve -no-color
echo "== terraform plan (must show no changes)"
set +e
terraform plan -detailed-exitcode -no-color
code=$?
set -e
if [ "$code" -ne 0 ]; then echo "plan after apply was not empty (exit $code)" >&2; exit 1; fi
echo "== terraform destroy"
terraform destroy -auto-approve -no-color
echo "== demo finished"

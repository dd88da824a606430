#!/usr/bin/env bash
# `make demo`: start one emulated console, apply examples/demo, show that the next plan is
# empty, destroy, stop the emulator. Everything stays on 127.0.0.1 and in a temp folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/scripts/lib.sh"
bin="$root/target/debug"
make_workdir demo

command -v terraform >/dev/null || { echo "terraform is not installed (need 1.11+)" >&2; exit 1; }

echo "== starting the console emulator"
start_emulator "$bin" "$work"
echo "console region1 at $console_url"
write_cli_config "$work" "$bin"
export BLOCKCHAIN_CONSOLE_URL="$console_url" BLOCKCHAIN_API_KEY=demo-key BLOCKCHAIN_API_SECRET=demo-secret
cp "$root/examples/demo/main.tf" "$work/"
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

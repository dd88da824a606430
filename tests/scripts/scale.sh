#!/usr/bin/env bash
# `make bench` (part 3): refresh at console scale. For each N in SCALE_N (default "50 200"):
# three emulated consoles hold N CAs each, all in one Terraform state; with the consoles back at
# the real console's default rate limits (25 writes and 100 GETs per minute per client), time
# three back-to-back `terraform plan`s and count the HTTP requests the consoles received during
# each (the emulator's `GET /_emulator/stats`, which is not itself counted). The same run times
# three plans of 3N `terraform_data` resources, the floor Terraform itself costs.
#
# Setup, not measured: the CAs are created by a `terraform apply` of the same configuration
# against the same consoles started with a high write limit and a short deployer delay; the
# emulator is then restarted on the same database and ports with its defaults, so the state
# holds exactly what an import of those CAs would have written.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/scripts/lib.sh"
release="${CARGO_TARGET_DIR:-$root/target}/release"
sizes=${SCALE_N:-50 200}
plans=3
# Bounds (seconds): the seeding apply, one plan, the emulator's start.
apply_timeout=${SCALE_APPLY_TIMEOUT:-1800}
plan_timeout=${SCALE_PLAN_TIMEOUT:-1200}
make_workdir scale

for b in terraform-provider-blockchain blockchain-emulator; do
  [ -x "$release/$b" ] || { echo "build first: cargo build --release --workspace (no $release/$b)" >&2; exit 1; }
done
command -v terraform >/dev/null || { echo "terraform is not installed (need 1.11+)" >&2; exit 1; }
write_cli_config "$work" "$release"
unset BLOCKCHAIN_CONSOLE_URL BLOCKCHAIN_API_KEY BLOCKCHAIN_API_SECRET BLOCKCHAIN_IAM_API_KEY

consoles=(r1 r2 r3)
ports=(0 0 0)
urls=()

# requests_now: the request counts of the three consoles, space-separated.
requests_now() {
  local i out=()
  for i in 0 1 2; do
    out+=("$(curl -sf --max-time 5 "${urls[$i]}/_emulator/stats" | sed -n 's/.*"request_count":\([0-9]*\).*/\1/p')")
  done
  echo "${out[*]}"
}

# write_ca_config DIR N: one aliased provider block per console and N CAs behind each.
write_ca_config() {
  local dir=$1 n=$2 i c
  cat >"$dir/main.tf" <<'TF'
terraform {
  required_providers {
    blockchain = {
      source = "ibm-blockchain/blockchain"
    }
  }
}
TF
  for i in 0 1 2; do
    c=${consoles[$i]}
    cat >>"$dir/main.tf" <<TF

provider "blockchain" {
  alias       = "$c"
  console_url = "${urls[$i]}"
  api_key     = "key-$c"
  api_secret  = "secret-$c"
}

resource "blockchain_ca" "$c" {
  provider            = blockchain.$c
  count               = $n
  display_name        = "$c ca \${count.index}"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "pw-\${count.index}"
}
TF
  done
}

# time_plans DIR LABEL [no]: $plans back-to-back plans in DIR; sets $plan_times, $plan_codes
# (detailed exit codes) and, unless told no, per plan the busiest console's request count
# ($plan_requests) and all three consoles' ($plan_totals).
time_plans() {
  local dir=$1 label=$2 count_requests=${3:-yes} start end before after code
  plan_times=() plan_requests=() plan_totals=() plan_codes=()
  for run in $(seq 1 "$plans"); do
    [ "$count_requests" = yes ] && before=($(requests_now))
    start=$EPOCHREALTIME
    set +e
    (cd "$dir" && timeout "$plan_timeout" terraform plan -detailed-exitcode -no-color -lock=false >"$dir/plan-$run.log" 2>&1)
    code=$?
    set -e
    end=$EPOCHREALTIME
    plan_codes+=("$code")
    plan_times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')")
    if [ "$count_requests" = yes ]; then
      after=($(requests_now))
      local busiest=0 total=0 i d
      for i in 0 1 2; do
        d=$((after[i] - before[i]))
        total=$((total + d))
        [ "$d" -gt "$busiest" ] && busiest=$d
      done
      plan_requests+=("$busiest")
      plan_totals+=("$total")
    fi
    if [ "$code" -ne 0 ]; then
      echo "  $label plan $run: exit $code (0 = no changes); last lines:" >&2
      tail -n 15 "$dir/plan-$run.log" >&2
    fi
  done
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rows=()
for n in $sizes; do
  dir="$work/n$n"
  mkdir -p "$dir/ca" "$dir/data"
  ports=(0 0 0)
  ready_count=1

  echo "== N=$n: seeding $((3 * n)) CAs (high write limit, 100 ms deployer delay)" >&2
  start_consoles "$dir" 100000 100ms
  write_ca_config "$dir/ca" "$n"
  (cd "$dir/ca" && timeout "$apply_timeout" terraform apply -auto-approve -no-color -lock=false -parallelism=30 >"$dir/apply.log" 2>&1) \
    || { echo "seeding apply failed:" >&2; tail -n 30 "$dir/apply.log" >&2; exit 1; }
  stop_consoles

  echo "== N=$n: consoles back at default limits; $plans plans of the CAs" >&2
  ready_count=2
  start_consoles "$dir" 25 2s
  time_plans "$dir/ca" "CA"
  ca_times=("${plan_times[@]}") ca_requests=("${plan_requests[@]}") ca_totals=("${plan_totals[@]}")
  ca_codes=("${plan_codes[@]}")
  stop_consoles

  echo "== N=$n: $plans plans of $((3 * n)) terraform_data" >&2
  cat >"$dir/data/main.tf" <<TF
resource "terraform_data" "r" {
  count = $((3 * n))
  input = count.index
}
TF
  (cd "$dir/data" && timeout "$apply_timeout" terraform apply -auto-approve -no-color -lock=false >"$dir/data-apply.log" 2>&1) \
    || { echo "terraform_data apply failed:" >&2; tail -n 30 "$dir/data-apply.log" >&2; exit 1; }
  time_plans "$dir/data" "terraform_data" no
  data_times=("${plan_times[@]}")

  ca_median=$(median "${ca_times[@]}")
  data_median=$(median "${data_times[@]}")
  ratio=$(awk -v a="$ca_median" -v b="$data_median" 'BEGIN { printf "%.1f", a / b }')
  rows+=("$(printf '%-5s %-9s %-20s %-14s %-14s %-6s %-10s %s' "$n" "$ca_median" "${ca_times[*]}" \
    "${ca_requests[*]}" "${ca_totals[*]}" "${ca_codes[*]}" "$data_median" "$ratio")")
  rm -rf "$dir"
done

echo
echo "terraform plan: three consoles with N CAs each, at the console's default rate limits;"
echo "$plans plans back to back, then $plans plans of 3N terraform_data in the same run"
printf '%-5s %-9s %-20s %-14s %-14s %-6s %-10s %s\n' "N" "median s" "runs s" "req/console" "req/all" "exit" "3N data s" "ratio"
printf '%s\n' "${rows[@]}"
echo "(req/console: per plan, the busiest console's HTTP requests; req/all: the three consoles'"
echo " together; exit: plan -detailed-exitcode, 0 = no changes; ratio: median over 3N data median)"

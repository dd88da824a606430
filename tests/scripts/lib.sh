# Shared helpers for the demo and measurement scripts (sourced, not run).
# Everything stays on 127.0.0.1 and inside $work.

# make_workdir NAME: a temp folder in $work, removed (with the emulator stopped) at exit.
make_workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/blockchain-$1.XXXXXX")
  emulator_pid=""
  trap cleanup_workdir EXIT
}

cleanup_workdir() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}

# start_emulator BIN_DIR WORK_DIR: starts one console "region1"; sets $emulator_pid and $console_url.
start_emulator() {
  local bin=$1 work=$2
  "$bin/blockchain-emulator" --console region1=0:demo-key:demo-secret --db "$work/emulator.redb" \
    --deployer-delay "${DEPLOYER_DELAY:-2s}" >"$work/emulator.log" 2>&1 &
  emulator_pid=$!
  console_url=""
  for _ in $(seq 1 200); do
    console_url=$(sed -n 's/^console region1 listening on \(http[^ ]*\).*/\1/p' "$work/emulator.log" | head -n1)
    [ -n "$console_url" ] && grep -q '^ready' "$work/emulator.log" && return 0
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the emulator did not start:" >&2
  cat "$work/emulator.log" >&2
  return 1
}

# write_cli_config WORK_DIR PROVIDER_DIR: a Terraform CLI config with dev_overrides, exported.
write_cli_config() {
  local work=$1 provider_dir=$2
  cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/ibm-blockchain/blockchain" = "$provider_dir"
  }
  direct {}
}
RC
  export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
}


# start_consoles DIR RATE_LIMIT DEPLOYER_DELAY: the consoles named in $consoles (with key-NAME /
# secret-NAME credentials) on $ports (0: any free port), from $release's emulator,
# on DIR's database; sets $emulator_pid, $urls and $ports.
start_consoles() {
  local dir=$1 rate=$2 delay=$3 args=() i
  for i in "${!consoles[@]}"; do
    args+=(--console "${consoles[$i]}=${ports[$i]}:key-${consoles[$i]}:secret-${consoles[$i]}")
  done
  "$release/blockchain-emulator" "${args[@]}" --db "$dir/emulator.redb" \
    --rate-limit "$rate" --deployer-delay "$delay" >>"$dir/emulator.log" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 1 300); do
    if [ "$(grep -c '^ready' "$dir/emulator.log")" -ge "${ready_count:-1}" ]; then
      for i in "${!consoles[@]}"; do
        urls[$i]=$(sed -n "s/^console ${consoles[$i]} listening on \(http[^ ]*\).*/\1/p" "$dir/emulator.log" | tail -n1)
        ports[$i]=${urls[$i]##*:}
      done
      return 0
    fi
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the emulator did not start:" >&2
  cat "$dir/emulator.log" >&2
  return 1
}

stop_consoles() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  emulator_pid=""
}

# write_mirror_cli_config WORK_DIR PROVIDER_DIR: a Terraform CLI config that installs the provider
# from a filesystem mirror in WORK_DIR (a link to PROVIDER_DIR's binary), exported. Unlike
# dev_overrides it lets `terraform init` run offline, which modules and backends need.
write_mirror_cli_config() {
  local work=$1 provider_dir=$2 version arch mirror
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
  case "$(uname -m)" in aarch64) arch=linux_arm64 ;; *) arch=linux_amd64 ;; esac
  mirror="$work/mirror/registry.terraform.io/ibm-blockchain/blockchain/$version/$arch"
  mkdir -p "$mirror"
  ln -sf "$provider_dir/terraform-provider-blockchain" "$mirror/terraform-provider-blockchain_v$version"
  cat >"$work/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/ibm-blockchain/blockchain"]
  }
}
RC
  export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
}

# copy_example NAME DEST: examples/NAME beside examples/modules under DEST; prints the example's
# folder there.
copy_example() {
  local name=$1 dest=$2
  mkdir -p "$dest/examples"
  cp -r "$root/examples/modules" "$root/examples/$name" "$dest/examples/"
  echo "$dest/examples/$name"
}

# example_vars: TF_VAR_* for the three-region example against $consoles/$urls (key-NAME and
# secret-NAME credentials, as start_consoles sets them).
example_vars() {
  local i json="{"
  for i in "${!consoles[@]}"; do
    [ "$i" -gt 0 ] && json+=","
    json+="\"${consoles[$i]}\":{\"url\":\"${urls[$i]}\",\"api_key\":\"key-${consoles[$i]}\",\"api_secret\":\"secret-${consoles[$i]}\"}"
  done
  export TF_VAR_consoles="$json}"
  export TF_VAR_ca_admin='{"enroll_id":"admin","enroll_secret":"demo-ca-admin-pw"}'
  export TF_VAR_org_admin_secret=demo-org-admin-pw
  TF_VAR_ordering_service_export_json=$(cat "$root/tests/fixtures/console/ordering-service-export.json")
  export TF_VAR_ordering_service_export_json
}

# console_summary: what each console holds, by type (GET /ak/api/v3/components).
console_summary() {
  local i
  for i in "${!consoles[@]}"; do
    curl -sf --max-time 10 -u "key-${consoles[$i]}:secret-${consoles[$i]}" "${urls[$i]}/ak/api/v3/components" |
      python3 -c '
import json, sys
name = sys.argv[1]
comps = json.load(sys.stdin).get("components", [])
by = {}
for c in comps:
    kind = c.get("type", "?") + (" (imported)" if c.get("location") != "ibm_saas" else "")
    by.setdefault(kind, []).append(c.get("display_name") or c.get("id"))
print(f"  {name}: {len(comps)} components")
for kind in sorted(by):
    print(f"    {kind:28} " + ", ".join(sorted(by[kind])))
' "${consoles[$i]}"
  done
}

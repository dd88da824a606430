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

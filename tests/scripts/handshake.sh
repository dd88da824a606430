#!/usr/bin/env bash
# `make bench` (part 2a): start-up time of the release provider, from exec to the go-plugin
# handshake line on stdout, launched the way Terraform launches it (magic cookie, protocol
# versions, AutoMTLS client certificate). Prints the median of RUNS (default 15) and, for
# comparison, the median of `--version` (exec and exit, no serving).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/scripts/lib.sh"
bin="${PROVIDER_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/terraform-provider-blockchain}"
runs=${RUNS:-15}
make_workdir handshake

[ -x "$bin" ] || { echo "build first: cargo build --release (no $bin)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "openssl is needed to make the client certificate" >&2; exit 1; }

# Terraform's AutoMTLS client certificate: self-signed ECDSA P-521, CA:TRUE, CN localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes -days 1 \
  -subj /CN=localhost -addext basicConstraints=critical,CA:TRUE \
  -keyout "$work/client.key" -out "$work/client.pem" 2>/dev/null

export TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2
export PLUGIN_PROTOCOL_VERSIONS=5 PLUGIN_MIN_PORT=10000 PLUGIN_MAX_PORT=25000
export PLUGIN_CLIENT_CERT="$(cat "$work/client.pem")" PLUGIN_UNIX_SOCKET_DIR="$work"
unset TF_LOG TF_LOG_PROVIDER TF_LOG_PROVIDER_BLOCKCHAIN

# millis START END: the difference of two $EPOCHREALTIME stamps in milliseconds.
millis() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) * 1000 }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

handshake_times=()
for _ in $(seq 1 "$runs"); do
  start=$EPOCHREALTIME
  coproc PROVIDER { exec "$bin"; }
  line=""
  # Bounded: a provider that never announces fails the run instead of hanging it.
  IFS= read -r -t 10 line <&"${PROVIDER[0]}" || true
  end=$EPOCHREALTIME
  pid=$PROVIDER_PID
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  case "$line" in
    1\|5\|unix\|*\|grpc\|?*) ;;
    *) echo "no handshake line with a certificate (got: ${line:-nothing})" >&2; exit 1 ;;
  esac
  handshake_times+=("$(millis "$start" "$end")")
done

version_times=()
for _ in $(seq 1 "$runs"); do
  start=$EPOCHREALTIME
  "$bin" --version >/dev/null
  end=$EPOCHREALTIME
  version_times+=("$(millis "$start" "$end")")
done

echo "provider exec to handshake line (AutoMTLS), median of $runs: $(median "${handshake_times[@]}") ms (runs: ${handshake_times[*]})"
echo "provider --version (exec and exit), median of $runs: $(median "${version_times[@]}") ms"

#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server on 127.0.0.1 for Terraform's `pg` state backend in tests.
#   pg.sh start DIR   initdb in DIR, start on a free loopback port, create database `terraform`;
#                     prints `postgres://…` (the backend's conn_str) on its last line
#   pg.sh stop DIR    stop the server and remove DIR
# initdb refuses to run as root, so as root the server runs as the `postgres` system user.
set -euo pipefail

cmd=${1:?usage: pg.sh start|stop DIR}
dir=${2:?usage: pg.sh start|stop DIR}

pg_bin() {
  local name=$1 found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ -n "$found" ] && [ -x "$found/$name" ]; then echo "$found/$name"; return; fi
  command -v "$name" || { echo "PostgreSQL's $name is not installed (apt-get install postgresql)" >&2; exit 1; }
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_owner "$(pg_bin initdb)" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  # Loopback only, socket in DIR (not /var/run), no fsync: a test server, thrown away after.
  as_owner "$(pg_bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$(pg_bin createdb)" -h 127.0.0.1 -p "$port" -U postgres terraform
  echo "$port" >"$dir/port"
  echo "postgres://postgres@127.0.0.1:$port/terraform?sslmode=disable"
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$(pg_bin pg_ctl)" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: pg.sh start|stop DIR" >&2
  exit 2
  ;;
esac

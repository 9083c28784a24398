#!/usr/bin/env bash
# Three Coffer nodes on this machine over one PostgreSQL and one Ceph RGW, to try scale-out.
#
#   scripts/cluster.sh start    start PostgreSQL, RGW (scripts/engines/*.sh) and the nodes; no-op for what already runs
#   scripts/cluster.sh stop     stop the nodes, and the engines when this script started them
#   scripts/cluster.sh status   one line per part; exit 0 when all are up
#   scripts/cluster.sh env      print the awscli settings for the cluster's root user
#
# The nodes listen on plain HTTP at 127.0.0.1:9001, :9002 and :9003 (loopback only: put a TLS load
# balancer in front to serve others, see docs/operations.md). They share one root key and one root
# key pair, generated once into the state folder; everything else they share lives in PostgreSQL
# (metadata, KMS key store) and in the RGW bucket coffer-blobs (ciphertext only).
#
# Environment (defaults in brackets):
#   COFFER_CLUSTER_DIR     state folder [/tmp/coffer-engines/cluster]: root.key.b64, root.credentials, node-N/ data and logs
#   COFFER_CLUSTER_NODES   how many nodes [3]
#   COFFER_CLUSTER_PORT    first node's port [9001]; node N listens on PORT+N-1
#   COFFER_CLUSTER_DB      PostgreSQL database [coffer]
#   COFFER_CLUSTER_BUCKET  RGW bucket for the ciphertext [coffer-blobs]
#   COFFER                 the coffer command to run [built here: dotnet build src/Coffer.Cli -c Release]
#   plus the engines' own (COFFER_PG_PORT [55433], COFFER_RGW_PORT [7480], ...: see scripts/engines/*.sh)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dir=${COFFER_CLUSTER_DIR:-/tmp/coffer-engines/cluster}
nodes=${COFFER_CLUSTER_NODES:-3}
first_port=${COFFER_CLUSTER_PORT:-9001}
db=${COFFER_CLUSTER_DB:-coffer}
bucket=${COFFER_CLUSTER_BUCKET:-coffer-blobs}
pg_port=${COFFER_PG_PORT:-55433}
rgw_port=${COFFER_RGW_PORT:-7480}
rgw_access=${COFFER_RGW_ACCESS_KEY:-coffer-test}
rgw_secret=${COFFER_RGW_SECRET_KEY:-coffer-test-secret-key-0123456789}
pg="$here/engines/postgres.sh"
rgw="$here/engines/rgw.sh"

say() { echo "cluster.sh: $*" >&2; }
die() { say "$*"; exit 1; }

node_port() { echo $((first_port + $1 - 1)); }

node_pid() { # prints the pid of a running node of this folder, or nothing (a reused pid is not ours)
  local f="$dir/node-$1/coffer.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/node-$1/data" && echo "$pid"
}

node_answers() { # the health check a load balancer would use
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 3 "http://127.0.0.1:$(node_port "$1")/_coffer/health" 2>/dev/null)" = 200 ]
}

random_alnum() { # random_alnum LENGTH ALPHABET
  LC_ALL=C tr -dc "$2" </dev/urandom | head -c "$1"
}

secrets() { # the shared root key and root key pair: generated once, kept 0600 in the state folder
  mkdir -p "$dir" && chmod 700 "$dir"
  if [ ! -s "$dir/root.key.b64" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$dir/root.key.b64") || die "cannot write $dir/root.key.b64"
  fi
  if [ ! -s "$dir/root.credentials" ]; then
    (umask 077 && printf 'COFFER_ACCESS_KEY=AKID%s\nCOFFER_SECRET_KEY=%s\n' \
      "$(random_alnum 32 'A-Z0-9')" "$(random_alnum 40 'A-Za-z0-9')" >"$dir/root.credentials") || die "cannot write $dir/root.credentials"
  fi
}

coffer_command() { # sets the array `coffer` to the command that runs the coffer executable
  if [ -n "${COFFER:-}" ]; then
    read -r -a coffer <<<"$COFFER"
    return 0
  fi
  command -v dotnet >/dev/null 2>&1 || die "dotnet is missing (or set COFFER to a coffer executable)"
  say "building src/Coffer.Cli (Release)"
  dotnet build "$repo/src/Coffer.Cli" -c Release -nologo -v q >"$dir/build.log" 2>&1 ||
    { tail -n 30 "$dir/build.log" >&2; die "the build failed; see $dir/build.log"; }
  local dll
  dll=$(ls "$repo"/src/Coffer.Cli/bin/Release/net*/coffer.dll 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dll" ] || die "the build left no coffer.dll under src/Coffer.Cli/bin/Release"
  coffer=(dotnet "$dll")
}

s3() { # s3 METHOD PATH: a SigV4-signed request to RGW; prints the HTTP status
  curl -s -o /dev/null -w '%{http_code}' -m 60 -X "$1" --aws-sigv4 "aws:amz:us-east-1:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --user "$rgw_access:$rgw_secret" "http://127.0.0.1:$rgw_port$2"
}

start_engines() {
  # Start each engine in the background at once (RGW takes about 30 s); remember which ones this
  # script started, so that `stop` leaves alone an engine someone else runs.
  local pg_rc rgw_rc
  "$pg" status >/dev/null 2>&1 || touch "$dir/started-postgres"
  "$rgw" status >/dev/null 2>&1 || touch "$dir/started-rgw"
  "$pg" start &
  local pg_job=$!
  "$rgw" start &
  local rgw_job=$!
  wait "$pg_job"; pg_rc=$?
  wait "$rgw_job"; rgw_rc=$?
  [ "$pg_rc" = 0 ] || die "PostgreSQL did not start"
  [ "$rgw_rc" = 0 ] || die "RGW did not start"
  "$pg" createdb "$db" || die "cannot create the database $db"
  local code
  code=$(s3 PUT "/$bucket")
  case "$code" in
    200 | 409) ;;   # 409 BucketAlreadyOwnedByYou / BucketAlreadyExists: it is there
    *) die "creating the RGW bucket $bucket answered $code" ;;
  esac
}

start_node() {
  local n=$1 port
  port=$(node_port "$n")
  node_pid "$n" >/dev/null && return 0
  mkdir -p "$dir/node-$n"
  (
    set -a
    # shellcheck disable=SC1091
    . "$dir/root.credentials"
    set +a
    COFFER_ROOT_KEY=$(cat "$dir/root.key.b64")
    export COFFER_ROOT_KEY
    export COFFER_BLOBS_ACCESS_KEY="$rgw_access" COFFER_BLOBS_SECRET_KEY="$rgw_secret"
    exec nohup "${coffer[@]}" serve --data "$dir/node-$n/data" --http "127.0.0.1:$port" --https none \
      --metadata "postgresql://postgres@127.0.0.1:$pg_port/$db" \
      --blobs "s3://$bucket?endpoint=http://127.0.0.1:$rgw_port&region=us-east-1&path-style=true" \
      </dev/null >"$dir/node-$n/coffer.log" 2>&1
  ) &
  echo $! >"$dir/node-$n/coffer.pid"
}

wait_node() {
  local n=$1 i
  for ((i = 0; i < 120; i++)); do
    node_answers "$n" && return 0
    node_pid "$n" >/dev/null || break
    sleep 0.5
  done
  tail -n 20 "$dir/node-$n/coffer.log" >&2
  die "node $n did not come up on 127.0.0.1:$(node_port "$n"); see $dir/node-$n/coffer.log"
}

start() {
  command -v curl >/dev/null 2>&1 || die "curl is missing"
  secrets
  start_engines
  local n all_up=1
  for ((n = 1; n <= nodes; n++)); do node_pid "$n" >/dev/null || all_up=0; done
  if [ "$all_up" = 1 ]; then say "the nodes already run"; return 0; fi
  coffer_command
  # The first node alone first: it creates the schema and the root user; then the others.
  start_node 1
  wait_node 1
  for ((n = 2; n <= nodes; n++)); do start_node "$n"; done
  for ((n = 2; n <= nodes; n++)); do wait_node "$n"; done
  say "running: $(for ((n = 1; n <= nodes; n++)); do printf 'http://127.0.0.1:%s ' "$(node_port "$n")"; done)"
  say "root access key pair in $dir/root.credentials; try: eval \"\$($0 env)\"; aws s3 mb s3://my-bucket"
}

stop() {
  local n pid i
  for ((n = 1; n <= nodes; n++)); do
    pid=$(node_pid "$n") || continue
    kill "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "node $n did not stop in 15 s; killing it"; kill -9 "$pid" 2>/dev/null; }
    rm -f "$dir/node-$n/coffer.pid"
  done
  if [ -f "$dir/started-rgw" ]; then "$rgw" stop; rm -f "$dir/started-rgw"; fi
  if [ -f "$dir/started-postgres" ]; then "$pg" stop; rm -f "$dir/started-postgres"; fi
  say "stopped"
}

status() {
  local ok=0 n
  "$pg" status | sed 's/^/postgres: /' || ok=1
  "$rgw" status | sed 's/^/rgw:      /' || ok=1
  for ((n = 1; n <= nodes; n++)); do
    if node_pid "$n" >/dev/null && node_answers "$n"; then
      echo "node $n:   running at http://127.0.0.1:$(node_port "$n")"
    else
      echo "node $n:   not running"; ok=1
    fi
  done
  return $ok
}

env_() {
  [ -s "$dir/root.credentials" ] || die "no cluster in $dir yet (run $0 start)"
  local access secret
  access=$(sed -n 's/^COFFER_ACCESS_KEY=//p' "$dir/root.credentials")
  secret=$(sed -n 's/^COFFER_SECRET_KEY=//p' "$dir/root.credentials")
  printf 'export AWS_ACCESS_KEY_ID=%q AWS_SECRET_ACCESS_KEY=%q AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:%s\n' "$access" "$secret" "$first_port"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_ ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac

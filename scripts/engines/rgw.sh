#!/usr/bin/env bash
# A single-node Ceph with radosgw (S3) on loopback, for tests and for trying a cluster locally.
#
#   scripts/engines/rgw.sh start    bring it up (no-op when already up; reuses the state folder after a stop)
#   scripts/engines/rgw.sh stop     stop every daemon (the data stays; `start` brings it back)
#   scripts/engines/rgw.sh status   exit 0 when S3 answers, 1 otherwise
#   scripts/engines/rgw.sh env      print the test env vars (eval "$(scripts/engines/rgw.sh env)")
#
# One mon, one mgr, one OSD (BlueStore on a sparse file), radosgw (beast) on 127.0.0.1 only, with
# `auth ... required = none`: never expose it. Needs the Debian packages ceph, ceph-mon, ceph-osd,
# ceph-mgr, radosgw, ceph-common and curl. Run as root (the daemons run as root here).
#
# Environment (defaults in brackets):
#   COFFER_RGW_DIR          state folder [/tmp/coffer-engines/rgw]; `rm -rf` it (after stop) to start afresh
#   COFFER_RGW_PORT         S3 port [7480]
#   COFFER_CEPH_MON_PORT    mon msgr2 port [3300]; msgr1 is COFFER_CEPH_MON_V1_PORT [6789]
#   COFFER_RGW_ACCESS_KEY   S3 access key [coffer-test]
#   COFFER_RGW_SECRET_KEY   S3 secret key [coffer-test-secret-key-0123456789]
#   COFFER_OSD_MEMORY       osd memory target in bytes [939524096 = 896 MiB, Ceph's minimum]
#   COFFER_OSD_SIZE_GB      size of the OSD's sparse block file, for a new cluster only [40]; only what is written takes disk
set -uo pipefail

dir=${COFFER_RGW_DIR:-/tmp/coffer-engines/rgw}
port=${COFFER_RGW_PORT:-7480}
mon_v2=${COFFER_CEPH_MON_PORT:-3300}
mon_v1=${COFFER_CEPH_MON_V1_PORT:-6789}
access_key=${COFFER_RGW_ACCESS_KEY:-coffer-test}
secret_key=${COFFER_RGW_SECRET_KEY:-coffer-test-secret-key-0123456789}
osd_memory=${COFFER_OSD_MEMORY:-939524096}
osd_size_gb=${COFFER_OSD_SIZE_GB:-40}
endpoint="http://127.0.0.1:$port"
conf="$dir/ceph.conf"
daemons=(client.rgw.a osd.0 mgr.x mon.a)   # stop order; start order is the reverse

say() { echo "rgw.sh: $*" >&2; }
die() { say "$*"; exit 1; }
ceph_() { timeout 60 ceph -c "$conf" --connect-timeout 20 "$@"; }

pid_of() { # prints the pid of a running daemon of this folder, or nothing (a reused pid is not ours)
  local f="$dir/run/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$conf" && echo "$pid"
}

s3_answers() { curl -s -o /dev/null -m 3 "$endpoint/" 2>/dev/null; }

is_up() { # every daemon alive and a signed ListBuckets with the test key answers 200
  local d
  for d in "${daemons[@]}"; do pid_of "$d" >/dev/null || return 1; done
  [ "$(s3 GET /)" = 200 ]
}

wait_for() { # wait_for SECONDS WHAT COMMAND...
  local secs=$1 what=$2 i; shift 2
  for ((i = 0; i < secs; i++)); do
    "$@" && return 0
    sleep 1
  done
  say "timed out after ${secs}s waiting for $what"
  return 1
}

write_conf() {
  local fsid=$1
  mkdir -p "$dir/run" "$dir/log"
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon data avail warn = 2
mon data avail crit = 1
mon warn on insecure global id reclaim allowed = false
run dir = $dir/run
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
keyring = $dir/keyring
mon data = $dir/mon-\$id
mgr data = $dir/mgr-\$id
osd data = $dir/osd-\$id
osd objectstore = bluestore
osd memory target = $osd_memory
bluestore block size = $((osd_size_gb * 1024 * 1024 * 1024))

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw data = $dir/rgw-a
auth client required = none
ms mon client mode = crc
EOF
}

create_cluster() {
  local fsid uuid
  say "creating a new cluster in $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  # mkfs wants a keyring even with auth off.
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null || return 1
  ceph-authtool "$dir/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mgr 'allow *' --cap mds 'allow *' >/dev/null || return 1
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" "$dir/monmap" >/dev/null || return 1
  mkdir -p "$dir/mon-a" "$dir/mgr-x" "$dir/osd-0" "$dir/rgw-a"
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" || return 1
  ceph-mon -c "$conf" -i a || return 1
  wait_for 60 "the mon" ceph_ mon stat >/dev/null 2>&1 || return 1
  ceph-mgr -c "$conf" -i x || return 1
  uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph_ osd new "$uuid" >/dev/null || return 1
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$uuid" >>"$dir/log/mkfs.log" 2>&1 || { tail -n 20 "$dir/log/mkfs.log" >&2; return 1; }
  touch "$dir/created"
}

osd_up() { ceph_ osd dump 2>/dev/null | grep -q '^osd\.0 up'; }

ensure_user() {
  local uid=$access_key
  if ! radosgw-admin -c "$conf" user info --uid="$uid" >/dev/null 2>&1; then
    radosgw-admin -c "$conf" user create --uid="$uid" --display-name="Coffer tests" \
      --access-key="$access_key" --secret-key="$secret_key" >/dev/null || return 1
  elif ! radosgw-admin -c "$conf" user info --uid="$uid" 2>/dev/null | grep -q "\"secret_key\": \"$secret_key\""; then
    radosgw-admin -c "$conf" key create --uid="$uid" --key-type=s3 \
      --access-key="$access_key" --secret-key="$secret_key" >/dev/null || return 1
  fi
}

s3() { # s3 METHOD PATH [BODY]: a SigV4-signed request; prints the HTTP status
  # curl signs the request but sends no x-amz-content-sha256, which RGW requires.
  curl -s -o /dev/null -w '%{http_code}' -m 60 -X "$1" --aws-sigv4 "aws:amz:us-east-1:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    --user "$access_key:$secret_key" ${3:+--data-binary "$3"} "$endpoint$2"
}

warm_up() { # the first write on a fresh cluster creates the pools: do it here, not in a test
  local bucket="coffer-warmup-$$" code
  code=$(s3 PUT "/$bucket")
  [ "$code" = 200 ] || { say "warm-up: creating a bucket answered $code"; return 1; }
  code=$(s3 PUT "/$bucket/warm" "warm")
  [ "$code" = 200 ] || { say "warm-up: a PUT answered $code"; return 1; }
  s3 DELETE "/$bucket/warm" >/dev/null
  s3 DELETE "/$bucket" >/dev/null
  return 0
}

start() {
  if is_up; then say "already running at $endpoint"; return 0; fi
  for tool in ceph ceph-mon ceph-mgr ceph-osd radosgw radosgw-admin ceph-authtool monmaptool curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install ceph ceph-mon ceph-osd ceph-mgr radosgw ceph-common curl)"
  done
  if [ ! -f "$dir/created" ]; then
    stop_daemons
    create_cluster || die "creating the cluster failed; see $dir/log"
  else
    # Re-write ceph.conf so that a changed port takes effect; the fsid stays.
    write_conf "$(sed -n 's/^fsid = //p' "$conf")"
  fi
  pid_of mon.a >/dev/null || ceph-mon -c "$conf" -i a || die "ceph-mon did not start; see $dir/log/mon.a.log"
  wait_for 60 "the mon" ceph_ mon stat >/dev/null 2>&1 || die "the mon does not answer; see $dir/log/mon.a.log"
  pid_of mgr.x >/dev/null || ceph-mgr -c "$conf" -i x || die "ceph-mgr did not start; see $dir/log/mgr.x.log"
  pid_of osd.0 >/dev/null || ceph-osd -c "$conf" -i 0 2>>"$dir/log/startup.log" || die "ceph-osd did not start; see $dir/log/osd.0.log"
  wait_for 120 "osd.0 up" osd_up || die "osd.0 is not up; see $dir/log/osd.0.log"
  pid_of client.rgw.a >/dev/null || radosgw -c "$conf" -n client.rgw.a || die "radosgw did not start; see $dir/log/client.rgw.a.log"
  wait_for 180 "S3 at $endpoint" s3_answers || die "radosgw does not answer; see $dir/log/client.rgw.a.log"
  ensure_user || die "creating the S3 user failed"
  wait_for 60 "a first PUT" warm_up || die "the warm-up PUT failed; see $dir/log/client.rgw.a.log"
  say "running at $endpoint (access key $access_key)"
}

stop_daemons() {
  local d pid i
  for d in "${daemons[@]}"; do
    pid=$(pid_of "$d") || continue
    kill "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "$d did not stop in 30 s; killing it"; kill -9 "$pid" 2>/dev/null; fi
    rm -f "$dir/run/$d.pid"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons; say "stopped" ;;
  status)
    if is_up; then echo "running at $endpoint"; else echo "not running"; exit 1; fi ;;
  env)
    printf 'export COFFER_TEST_S3_ENDPOINT=%q COFFER_TEST_S3_ACCESS_KEY=%q COFFER_TEST_S3_SECRET_KEY=%q\n' "$endpoint" "$access_key" "$secret_key" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac

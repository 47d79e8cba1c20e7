#!/bin/sh
# OpenDKIM (opendkim-testmsg) as a test peer for mta4j's DKIM tests, without touching the real DNS.
# libopendkim asks only the libc resolver on port 53, so this script must run in private network
# and mount namespaces (unshare --net --mount --fork): it brings up that namespace's loopback,
# starts knotd on its 127.0.0.1:53 serving ZONEFILE for DOMAIN, bind-mounts a resolv.conf that
# points there, and verifies every *.eml in MSGDIR. Output, one line per message:
#   <file> <exit status of opendkim-testmsg> <its messages on one line>
# Usage: opendkim_verify.sh WORKDIR DOMAIN ZONEFILE MSGDIR
set -eu
work=$1 domain=$2 zonefile=$3 msgdir=$4
mkdir -p "$work/run" "$work/db" "$work/zones"
cp "$zonefile" "$work/zones/$domain.zone"
ip link set lo up
cat > "$work/knot.conf" <<CONF
server:
    rundir: "$work/run"
    listen: 127.0.0.1@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: "$work/knot.log"
    any: info
database:
    storage: "$work/db"
template:
  - id: default
    storage: "$work/zones"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: "$domain"
CONF
knotd -c "$work/knot.conf" &
knot=$!
trap 'kill $knot 2>/dev/null || true' EXIT
echo "nameserver 127.0.0.1" > "$work/resolv.conf"
echo "options attempts:3 timeout:5" >> "$work/resolv.conf"
mount --bind "$work/resolv.conf" /etc/resolv.conf
# wait (bounded) until knotd answers for the zone: an answer line, not dig's ";; communications
# error ... connection refused" (also printed on stdout) from before knotd has bound its socket
tries=0
until dig +short +tries=1 +time=1 @127.0.0.1 SOA "$domain" 2>/dev/null | grep -q '^[^;]'; do
  tries=$((tries + 1))
  if [ $tries -ge 100 ]; then
    echo "knotd did not answer for $domain" >&2
    cat "$work/knot.log" >&2 || true
    exit 3
  fi
  sleep 0.1
done
for f in "$msgdir"/*.eml; do
  set +e
  out=$(opendkim-testmsg < "$f" 2>&1)
  rc=$?
  set -e
  echo "$(basename "$f") $rc $(echo "$out" | tr '\n' ' ')"
done

#!/usr/bin/env bash
# The JDBC queue (mta-queue-jdbc): one node's enqueue + deliver rate on memory, file, H2 and
# PostgreSQL; and scale-out, 1 vs 3 nodes sharing one PostgreSQL queue, each node limited to C
# deliveries at once to smtp-sink behind a proxy that adds a 20 ms round trip. See
# docs/benchmarks.md ("JDBC queue").
#
#   bench/jdbc-queue.sh [JdbcQueueBench options...]
#
#   --part=all|single|scale   (default all)
#   --messages=2000           single-node run size
#   --scale-messages=1200     scale-out run size
#   --concurrency=2           deliveries at once per node (scale-out)
#   --rounds=3                interleaved rounds; medians reported
#
# Starts its own PostgreSQL cluster (Debian's binaries, durable defaults: fsync and
# synchronous_commit on) in a temporary directory on 127.0.0.1, as the postgres user when run as
# root; stops and deletes it at exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for d in /usr/local/sbin /usr/sbin /sbin; do
  [[ :$PATH: == *:$d:* ]] || PATH="$PATH:$d"
done
export PATH

command -v smtp-sink >/dev/null || { echo "smtp-sink not found: apt-get install postfix" >&2; exit 2; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $PGBIN/initdb ]] || { echo "PostgreSQL not found: apt-get install postgresql" >&2; exit 2; }

# shellcheck source=lib/build.sh
source "$BENCH_DIR/lib/build.sh"
bench_build


WORK=$(mktemp -d /tmp/mta4j-jdbc-bench.XXXXXX)
chmod 755 "$WORK"
as_pg() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
mkdir "$WORK/pg"
chmod 700 "$WORK/pg"
[[ $(id -u) == 0 ]] && chown postgres "$WORK/pg"

SINK_PID=""
cleanup() {
  exec 9>&- 2>/dev/null || true # the proxy's stdin: it exits
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PGPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=100" -w start >/dev/null
"$PGBIN/psql" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c 'CREATE DATABASE bench'

SINKPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sink_user=()
[[ $(id -u) == 0 ]] && sink_user=(-u nobody)
smtp-sink "${sink_user[@]}" -c "127.0.0.1:$SINKPORT" 1024 >"$WORK/sink.out" 2>&1 &
SINK_PID=$!

PROXYPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkfifo "$WORK/proxy.in"
"$JAVA_HOME/bin/java" -Xmx256m -cp "$BENCH_DIR/target/classes:$BENCH_DIR/target/lib/*" \
  org.mta4j.bench.DelayProxy "$PROXYPORT" "$SINKPORT" 10 30 <"$WORK/proxy.in" >"$WORK/proxy.out" 2>&1 &
exec 9<>"$WORK/proxy.in"
for _ in $(seq 100); do grep -q READY "$WORK/proxy.out" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$WORK/proxy.out" || { cat "$WORK/proxy.out" >&2; exit 2; }

mkdir -p "$BENCH_DIR/target/results"
LOG="$BENCH_DIR/target/results/jdbc-queue-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
  echo "# mta4j $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$LOG"
rc=0
"$JAVA_HOME/bin/java" -Xms512m -Xmx512m -cp "$BENCH_DIR/target/classes:$BENCH_DIR/target/lib/*" \
  org.mta4j.bench.JdbcQueueBench \
  "--pg-url=jdbc:postgresql://127.0.0.1:$PGPORT/bench?user=postgres" \
  "--proxy-port=$PROXYPORT" "$@" 2>&1 | tee -a "$LOG" || rc=$?
echo "# log: $LOG"
exit "$rc"

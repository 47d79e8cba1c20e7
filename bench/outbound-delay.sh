#!/usr/bin/env bash
# Outbound over a slow link: N messages to one destination (smtp-sink behind a delaying TCP proxy
# on 127.0.0.1, default 20 ms round trip) sent by mta4j (submit() in-process, delivered by its
# queue manager) and by Angus Mail (one Transport.send per message, TCP_NODELAY socket factory).
# No tc/netem: only the proxy's own sockets are delayed. See docs/benchmarks.md
# ("Outbound over a 20 ms link").
#
#   bench/outbound-delay.sh [N] [extra OutboundBench options...]
#
#   N                    messages per measured run (default 1000)
#   --rounds=3           measurements per client, interleaved round-robin across clients
#   --warmup=100         messages of the discarded warm-up run in each client JVM
#   --clients=mta4j,angus   also: mta4j-cN (destinationConcurrency N), angus-xN (N sending threads)
#   --rtt-ms=20          round-trip time of the link (the proxy delays each direction by half)
#   --max-foreign=15     re-measure (up to --attempts=2 times) a run during which other processes
#                        took more than this % of the CPU; the least disturbed attempt is kept
#   --jfr=DIR            JFR-profile each measured client run into DIR
#
# Exit code 0 only if every message of every run was accepted and counted once by the sink.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for d in /usr/local/sbin /usr/sbin /sbin; do
  [[ :$PATH: == *:$d:* ]] || PATH="$PATH:$d"
done
export PATH

N=1000
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  N=$1
  shift
fi

command -v smtp-sink >/dev/null \
  || { echo "smtp-sink not found: apt-get install postfix" >&2; exit 2; }

# shellcheck source=lib/build.sh
source "$BENCH_DIR/lib/build.sh"
bench_build

mkdir -p "$BENCH_DIR/target/results"
rc=0
LOG="$BENCH_DIR/target/results/outbound-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "# mta4j built from $(cat "$BENCH_DIR/target/built-from.txt" 2>/dev/null || echo 'unknown')"
} | tee "$LOG"
# BENCH_SERVER_JVM_FLAGS replaces the client JVMs' flags
# (default: -Xms1g -Xmx1g -XX:+UseG1GC -XX:+AlwaysPreTouch)
"$JAVA_HOME/bin/java" -Xmx256m ${BENCH_SERVER_JVM_FLAGS:+"-Dbench.serverJvmFlags=$BENCH_SERVER_JVM_FLAGS"} \
  -cp "$BENCH_DIR/target/classes:$BENCH_DIR/target/lib/*" \
  org.mta4j.bench.OutboundBench --messages="$N" "$@" 2>&1 | tee -a "$LOG" || rc=$?
echo "# log: $LOG"
exit "$rc"

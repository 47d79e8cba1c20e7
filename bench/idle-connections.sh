#!/usr/bin/env bash
# Heap and latency of mta4j holding 10,000 idle SMTP sessions on 127.0.0.1. See docs/benchmarks.md.
#
#   bench/idle-connections.sh [--connections=10000] [--sessions=20] [--size=10240]
#                             [--server=mta4j|subethasmtp|greenmail] [--sources=1]
#
# --sources=K spreads the idle clients over 127.0.0.2..127.0.0.(K+1) if one source address runs
# out of ephemeral ports (10,000 fit in Linux's default 32768-60999 range from one address).
# Exit code 0 only if every connection opened, every timed session succeeded and was counted.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

# One socket per idle session in the client JVM and in the server JVM (each inherits this limit):
# 65536 if allowed, else the hard limit (20000 in this sandbox, enough for 10,000 + the JVMs' own).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "# ulimit -n $(ulimit -n)"

# shellcheck source=lib/build.sh
source "$BENCH_DIR/lib/build.sh"
bench_build

mkdir -p "$BENCH_DIR/target/results"
rc=0
LOG="$BENCH_DIR/target/results/idle-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "# mta4j built from $(cat "$BENCH_DIR/target/built-from.txt" 2>/dev/null || echo 'unknown')"
} | tee "$LOG"
# BENCH_SERVER_JVM_FLAGS replaces the server JVM's flags (default: -Xms1g -Xmx1g -XX:+UseG1GC)
"$JAVA_HOME/bin/java" -Xmx512m ${BENCH_SERVER_JVM_FLAGS:+"-Dbench.serverJvmFlags=$BENCH_SERVER_JVM_FLAGS"} -cp "$BENCH_DIR/target/classes:$BENCH_DIR/target/lib/*" \
  org.mta4j.bench.IdleConnections "$@" 2>&1 | tee -a "$LOG" || rc=$?
echo "# log: $LOG"
exit "$rc"

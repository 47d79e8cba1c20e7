#!/usr/bin/env bash
# Relay throughput end to end: smtp-source -> mta4j (memory queue) -> smtp-sink, and the same
# through a throwaway Postfix (queue under /tmp) relaying to smtp-sink; on 127.0.0.1 only.
# See docs/benchmarks.md ("Relay end to end").
#
#   bench/relay-throughput.sh [N] [extra RelayBench options...]
#
#   N                    messages per measured run (default 10000)
#   --rounds=3           measurements per relay, interleaved round-robin across relays
#   --warmup=N           messages of the discarded warm-up run before each measurement (default N)
#   --sessions=20        smtp-source -s
#   --size=10240         smtp-source -l
#   --relays=mta4j,postfix
#   --max-foreign=15     re-measure (up to --attempts=3 times) a run during which other processes
#                        took more than this % of the CPU; the least disturbed attempt is kept
#   --drain-timeout=300  seconds to wait for the sink to count all N (a run that misses it FAILS)
#   --destination-concurrency=N   mta4j's destinationConcurrency (default: mta4j's default, 20)
#   --jfr=DIR            JFR-profile each measured mta4j run into DIR
#
# The clock runs from the start of smtp-source until smtp-sink has counted all N messages, so the
# rate includes queueing and delivery. Needs root (Postfix's start does), smtp-source/smtp-sink and
# postfix (Debian package postfix). Exit code 0 only if every run was counted in full by the sink.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for d in /usr/local/sbin /usr/sbin /sbin; do
  [[ :$PATH: == *:$d:* ]] || PATH="$PATH:$d"
done
export PATH

N=10000
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  N=$1
  shift
fi

command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null && command -v postfix >/dev/null \
  || { echo "smtp-source/smtp-sink/postfix not found: apt-get install postfix" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

# shellcheck source=lib/build.sh
source "$BENCH_DIR/lib/build.sh"
bench_build

mkdir -p "$BENCH_DIR/target/results"
rc=0
LOG="$BENCH_DIR/target/results/relay-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); $(postconf -d mail_version 2>/dev/null)"
  echo "# mta4j built from $(cat "$BENCH_DIR/target/built-from.txt" 2>/dev/null || echo 'unknown')"
} | tee "$LOG"
# BENCH_SERVER_JVM_FLAGS replaces the mta4j JVM's flags
# (default: -Xms1g -Xmx1g -XX:+UseG1GC -XX:+AlwaysPreTouch)
"$JAVA_HOME/bin/java" -Xmx256m ${BENCH_SERVER_JVM_FLAGS:+"-Dbench.serverJvmFlags=$BENCH_SERVER_JVM_FLAGS"} \
  -cp "$BENCH_DIR/target/classes:$BENCH_DIR/target/lib/*" \
  org.mta4j.bench.RelayBench --messages="$N" --postfix-script="$BENCH_DIR/lib/postfix-instance.sh" "$@" \
  2>&1 | tee -a "$LOG" || rc=$?
echo "# log: $LOG"
exit "$rc"

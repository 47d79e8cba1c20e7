#!/usr/bin/env bash
# Server throughput: smtp-sink (the ceiling), mta4j, SubEthaSMTP and GreenMail, one at a time, on
# 127.0.0.1 only, fed by Postfix's smtp-source. See docs/benchmarks.md.
#
#   bench/server-throughput.sh [N] [extra ThroughputBench options...]
#
#   N                    messages per measured run (default 20000)
#   --rounds=3           measurements per server, interleaved round-robin across servers
#   --warmup=N           messages of the discarded warm-up run before each measurement (default:
#                        as many as measured, at least 5000)
#   --sessions=20        smtp-source -s
#   --size=10240         smtp-source -l
#   --reuse              smtp-source -d (several messages per connection)
#   --servers=smtp-sink,mta4j,subethasmtp,greenmail
#   --max-foreign=15     re-measure (up to --attempts=3 times) a run during which other processes
#                        took more than this % of the CPU; the least disturbed attempt is kept
#   --jfr=DIR            JFR-profile each measured Java server run (1 ms sampling) into DIR
#   --thread-stats       per server thread group: context switches and user/sys CPU per message
#
# BENCH_BASE_LIB=DIR (a saved copy of bench/target/lib, i.e. another build of mta4j) adds the
# server "mta4j-base" for --servers=: the same BenchServer on that build, for A/B comparisons of
# two mta4j commits within one interleaved run.
#
# Builds and installs the mta4j snapshot (offline), builds bench/ (its own Maven project, not part
# of the root build), then runs org.mta4j.bench.ThroughputBench. Exit code 0 only if every run
# was counted in full by its server. Needs smtp-source/smtp-sink (Debian package postfix).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for d in /usr/local/sbin /usr/sbin /sbin; do
  [[ :$PATH: == *:$d:* ]] || PATH="$PATH:$d"
done
export PATH

N=20000
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  N=$1
  shift
fi

command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null \
  || { echo "smtp-source/smtp-sink not found: apt-get install postfix" >&2; exit 2; }

# 20 sessions x 4 servers never come near this, but the JVMs and smtp-sink inherit it
ulimit -n 65536 2>/dev/null || true

# shellcheck source=lib/build.sh
source "$BENCH_DIR/lib/build.sh"
bench_build

mkdir -p "$BENCH_DIR/target/results"
rc=0
LOG="$BENCH_DIR/target/results/throughput-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "# mta4j built from $(cat "$BENCH_DIR/target/built-from.txt" 2>/dev/null || echo 'unknown')"
} | tee "$LOG"
# BENCH_SERVER_JVM_FLAGS replaces the server JVMs' flags
# (default: -Xms1g -Xmx1g -XX:+UseG1GC -XX:+AlwaysPreTouch)
"$JAVA_HOME/bin/java" -Xmx256m ${BENCH_SERVER_JVM_FLAGS:+"-Dbench.serverJvmFlags=$BENCH_SERVER_JVM_FLAGS"} \
  ${BENCH_BASE_LIB:+"-Dbench.baseClasspath=$BENCH_DIR/target/classes:$BENCH_BASE_LIB/*"} -cp "$BENCH_DIR/target/classes:$BENCH_DIR/target/lib/*" \
  org.mta4j.bench.ThroughputBench --messages="$N" "$@" 2>&1 | tee -a "$LOG" || rc=$?
echo "# log: $LOG"
exit "$rc"

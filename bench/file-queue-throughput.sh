#!/usr/bin/env bash
# Accept rate with a durable queue: mta4j + FileQueueStore (GROUP_COMMIT, PER_MESSAGE), mta4j with
# the memory queue, and a throwaway Postfix in accept-only mode (every message fsynced into hold/),
# interleaved round-robin, fed by smtp-source on 127.0.0.1; plus the disk's serial fsync rate
# (dd, 4 KB write + fsync) before and after. Queue directories under /tmp. See docs/benchmarks.md.
#
#   bench/file-queue-throughput.sh [N] [extra ThroughputBench options...]
#
#   N                    messages per measured run (default 20000; the warm-up is as long)
#   --rounds=2           measurements per server, interleaved round-robin
#   --warmup=N           discarded warm-up run before each measurement (default: max(N, 5000))
#   --sessions=20 --size=10240 --max-foreign=15 --attempts=3   as in server-throughput.sh
#   --servers=mta4j-file-group,mta4j-file-per-message,mta4j-memq,postfix-hold
#
# Nothing is delivered during the measurement: mta4j's queue manager never finds a message due
# (BenchServer wraps the store), Postfix parks everything in hold/. Needs root (Postfix) and
# Debian's postfix package (smtp-source, postfix). Exit code 0 only if every run was counted in full.
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

command -v smtp-source >/dev/null && command -v postfix >/dev/null \
  || { echo "smtp-source/postfix not found: apt-get install postfix" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

# shellcheck source=lib/build.sh
source "$BENCH_DIR/lib/build.sh"
bench_build

# The disk's serial fsync rate: 2,000 x (4 KB write + fsync) with dd oflag=dsync, in /tmp.
fsync_rate() {
  local f out secs
  f=$(mktemp /tmp/mta4j-bench-fsync.XXXXXX)
  out=$(LC_ALL=C dd if=/dev/zero of="$f" bs=4k count=2000 oflag=dsync 2>&1 | tail -1)
  rm -f "$f"
  secs=$(sed -E 's/.*copied, ([0-9.]+) s.*/\1/' <<<"$out")
  awk -v s="$secs" 'BEGIN { printf "%.0f", 2000 / s }'
}

mkdir -p "$BENCH_DIR/target/results"
rc=0
LOG="$BENCH_DIR/target/results/file-queue-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "# mta4j built from $(cat "$BENCH_DIR/target/built-from.txt" 2>/dev/null || echo 'unknown')"
  echo "# /tmp: $(df -T /tmp | awk 'NR==2 {print $1, $2}')"
  echo "# disk fsync rate before (dd bs=4k count=2000 oflag=dsync in /tmp): $(fsync_rate) writes/s"
} | tee "$LOG"
(cd "$ROOT" && "$JAVA_HOME/bin/java" -Xmx256m \
  ${BENCH_SERVER_JVM_FLAGS:+"-Dbench.serverJvmFlags=$BENCH_SERVER_JVM_FLAGS"} \
  -Dbench.postfixScript="$BENCH_DIR/lib/postfix-instance.sh" \
  -cp "$BENCH_DIR/target/classes:$BENCH_DIR/target/lib/*" \
  org.mta4j.bench.ThroughputBench --messages="$N" --rounds=2 \
  --servers=mta4j-file-group,mta4j-file-per-message,mta4j-memq,postfix-hold \
  --baseline=mta4j-file-group "$@") 2>&1 | tee -a "$LOG" || rc=$?
echo "# disk fsync rate after: $(fsync_rate) writes/s" | tee -a "$LOG"
echo "# log: $LOG"
exit "$rc"

#!/bin/sh
# DKIM signing benchmark (docs/benchmarks.md, "DKIM signing"): builds mta-dkim and this JMH project,
# then runs ROUNDS rounds (default 3); each round measures both keys, mta4j's signer and the raw
# JCA signature in one JMH run (one fork each), so every ratio compares numbers of the same minute.
# Then DkimSignCpuBench: the same pair in alternating blocks in one thread, timed by the thread's
# CPU time, which a loaded machine disturbs far less than JMH's wall-clock throughput.
# Usage: bench/dkim/run.sh [ROUNDS]        (from the repository root; JAVA_HOME = a JDK 21+)
set -eu
rounds=${1:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
./mvnw -q -B -ntp install -Dmaven.test.skip=true -Dspotless.check.skip=true -pl mta-dkim -am
./mvnw -q -B -ntp -f bench/dkim/pom.xml package
cp="bench/dkim/target/classes:bench/dkim/target/lib/*"
for round in $(seq "$rounds"); do
  echo "== round $round, load: $(uptime | sed 's/.*load average: //')"
  "$JAVA_HOME/bin/java" -cp "$cp" org.openjdk.jmh.Main DkimSignBench \
    -f 1 -wi 3 -w 2s -i 5 -r 2s -tu s -rf text -rff "bench/dkim/target/round-$round.txt" >/dev/null
  cat "bench/dkim/target/round-$round.txt"
done
echo "== CPU-time pairs, load: $(uptime | sed 's/.*load average: //')"
"$JAVA_HOME/bin/java" -cp "$cp" org.mta4j.bench.dkim.DkimSignCpuBench 15 1000
echo "== end, load: $(uptime | sed 's/.*load average: //')"

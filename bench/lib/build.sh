# Sourced by the bench scripts (needs BENCH_DIR and ROOT). bench_build installs mta4j (tests
# skipped) and packages bench/, offline first (fast) and online only if something is not in ~/.m2
# yet (a fresh machine); then records which mta4j the jars in target/lib are, for the logs (also
# read when BENCH_SKIP_BUILD=1 skips the build later). Exits 2 with the build log on failure.
bench_build() {
  [[ ${BENCH_SKIP_BUILD:-0} == 1 ]] && return 0
  mkdir -p "$BENCH_DIR/target"
  local build_log="$BENCH_DIR/target/build.log"
  if ! { (cd "$ROOT" && { ./mvnw -q -o install -Dmaven.test.skip=true \
          || ./mvnw -q install -Dmaven.test.skip=true; }) \
      && (cd "$BENCH_DIR" && { "$ROOT/mvnw" -q -o package || "$ROOT/mvnw" -q package; }); \
      } >"$build_log" 2>&1; then
    cat "$build_log" >&2
    echo "build failed (log: $build_log)" >&2
    exit 2
  fi
  local dirty
  dirty=$(git -C "$ROOT" status --porcelain -- '*/src/main' 2>/dev/null || true)
  echo "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')${dirty:+ + uncommitted changes in src/main}" \
    >"$BENCH_DIR/target/built-from.txt"
}

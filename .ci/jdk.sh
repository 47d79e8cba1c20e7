# shellcheck shell=bash
# Selects a JDK >= 21 for building mta4j; meant to be sourced (`source .ci/jdk.sh`).
#
#  1. an existing JAVA_HOME whose `java -version` reports 21 or newer, else
#  2. the newest JDK (highest version) under /usr/lib/jvm with major version >= 21
#     (read from its `release` file's JAVA_VERSION, or from `java -version`).
# Exports JAVA_HOME and puts $JAVA_HOME/bin first on PATH. If no JDK qualifies it prints
# why to stderr and returns 1 (so a caller with `set -e` stops there).
# MTA4J_JVM_DIR overrides /usr/lib/jvm (only useful for testing this script).

# Prints the full version string (e.g. "21.0.4", "1.8.0_402", "26-ea") of the JDK at $1.
# $2 = "exec" asks `java -version` first; otherwise the release file is read first.
mta4j_jdk_version() {
  local home=$1 how=${2:-release} v=""
  [[ -x $home/bin/java && -x $home/bin/javac ]] || return 1
  if [[ $how == release && -r $home/release ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$home/release" | head -n 1)
  fi
  if [[ -z $v ]]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/^.* version "\([^"]*\)".*$/\1/p' | head -n 1) || true
  fi
  [[ -n $v ]] || return 1
  printf '%s\n' "$v"
}

# Prints the feature (major) release of a version string: 1.8.0_402 -> 8, 21.0.4 -> 21, 26-ea -> 26.
mta4j_jdk_major() {
  local v=${1#1.}
  v=${v%%[!0-9]*}
  [[ -n $v ]] || return 1
  printf '%s\n' "$v"
}

mta4j_select_jdk() {
  local min=21 jvm_dir=${MTA4J_JVM_DIR:-/usr/lib/jvm} v major home best="" best_v="" seen=" "
  if [[ -n ${JAVA_HOME:-} ]]; then
    if v=$(mta4j_jdk_version "$JAVA_HOME" exec) && major=$(mta4j_jdk_major "$v") \
        && ((major >= min)); then
      best=$JAVA_HOME best_v=$v
    else
      echo "jdk: JAVA_HOME=$JAVA_HOME is not a JDK >= $min (version: ${v:-unknown}); looking in $jvm_dir" >&2
    fi
  fi
  if [[ -z $best ]]; then
    for home in "$jvm_dir"/*; do
      [[ -d $home ]] || continue
      home=$(readlink -f "$home")
      [[ $seen == *" $home "* ]] && continue   # the same JDK under several (symlinked) names
      seen+="$home "
      v=$(mta4j_jdk_version "$home") || continue
      major=$(mta4j_jdk_major "$v") || continue
      ((major >= min)) || continue
      # Newest wins: compare full version strings in version order.
      if [[ -z $best || $(printf '%s\n%s\n' "$best_v" "$v" | sort -V | tail -n 1) == "$v" ]]; then
        best=$home best_v=$v
      fi
    done
  fi
  if [[ -z $best ]]; then
    echo "jdk: ERROR: no JDK >= $min found (JAVA_HOME=${JAVA_HOME:-unset}, searched $jvm_dir/*)." >&2
    echo "jdk: install a JDK 21 or newer under $jvm_dir, or point JAVA_HOME at one." >&2
    return 1
  fi
  export JAVA_HOME=$best
  export PATH="$JAVA_HOME/bin:$PATH"
  echo "jdk: using JAVA_HOME=$JAVA_HOME (java $best_v)"
}

mta4j_select_jdk

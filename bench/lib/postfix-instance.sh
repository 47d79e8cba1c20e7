#!/usr/bin/env bash
# A throwaway, private Postfix instance for tests and benchmarks: a real MTA peer and the
# performance reference. Its configuration, queue and log live under one directory; it listens
# only on 127.0.0.1:PORT and never touches the system Postfix (/etc/postfix, port 25).
#
#   postfix-instance.sh start DIR PORT MODE    create DIR (absolute), start, wait until listening
#   postfix-instance.sh stop DIR               stop it; fails if any of its processes survives
#   postfix-instance.sh status DIR             running or not, and messages per queue
#
# MODE:
#   accept-only        every accepted message is parked (fsynced) in DIR/queue/hold/, never sent
#   discard            accepted, then delivered to Postfix's discard(8): measures accept + deliver
#   relay:HOST:PORT    accepted, then relayed over SMTP to HOST:PORT (HOST: a 127.x.x.x address)
#
# DIR/maillog is the log (Postfix's tools print errors only there or to a terminal).
# Sourcing this file defines postfix_instance_start / _stop / _status without running anything.
# Needs root (postfix start does) and Debian's postfix package (.ci/run installs it).

postfix_instance__die() {
  echo "postfix-instance: ERROR: $*" >&2
  return 1
}

postfix_instance__check_dir() {
  local dir=$1
  [[ $dir == /* ]] || { postfix_instance__die "DIR must be an absolute path: $dir"; return 1; }
  [[ $dir != / && $dir != /etc* && $dir != /var/spool/postfix* ]] \
    || { postfix_instance__die "refusing DIR $dir: use a private directory (e.g. under /tmp)"; return 1; }
}

# The pid of the instance's master process, if it is running.
postfix_instance__master_pid() {
  local pidfile=$1/queue/pid/master.pid pid
  [[ -r $pidfile ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

postfix_instance__listening() {
  ss -Hltn "sport = :$1" | grep -q .
}

postfix_instance__mode_conf() {
  local mode=$1 host port
  case $mode in
    accept-only)
      cat <<'EOF'
# accept-only: every message goes to hold/ and stays there; retry never delivers (a message
# released from hold is deferred). smtpd would refuse recipients of a retry: transport outright.
smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject
smtpd_reject_unlisted_recipient = no
default_transport = retry:accept-only instance delivers nothing
relay_transport = $default_transport
local_transport = $default_transport
virtual_transport = $default_transport
EOF
      ;;
    discard)
      cat <<'EOF'
# discard: accept, then deliver every recipient to discard(8).
smtpd_recipient_restrictions = permit_mynetworks, reject
default_transport = discard:discard mode
relay_transport = $default_transport
local_transport = $default_transport
virtual_transport = $default_transport
EOF
      ;;
    relay:*)
      host=${mode#relay:}
      port=${host##*:}
      host=${host%:*}
      [[ $host =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] \
        || { postfix_instance__die "relay host must be a 127.x.x.x address: $host"; return 1; }
      if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        postfix_instance__die "bad relay port: $port"
        return 1
      fi
      cat <<EOF
# relay: accept, then relay everything to $host:$port; no DNS.
smtpd_recipient_restrictions = permit_mynetworks, reject
relayhost = [$host]:$port
default_transport = smtp
relay_transport = smtp
local_transport = smtp
virtual_transport = smtp
smtp_dns_support_level = disabled
smtp_tls_security_level = none
EOF
      ;;
    *)
      postfix_instance__die "MODE must be accept-only, discard or relay:HOST:PORT: $mode"
      return 1
      ;;
  esac
}

postfix_instance_start() {
  local dir=${1:-} port=${2:-} mode=${3:-} pid
  if [[ -z $dir || -z $port || -z $mode ]]; then
    postfix_instance__die "usage: start DIR PORT MODE"
    return 1
  fi
  postfix_instance__check_dir "$dir" || return 1
  if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1024 || port > 65535)); then
    postfix_instance__die "PORT must be 1024..65535: $port"
    return 1
  fi
  [[ $(id -u) == 0 ]] || { postfix_instance__die "postfix start needs root"; return 1; }
  command -v postfix >/dev/null || [[ -x /usr/sbin/postfix ]] \
    || { postfix_instance__die "postfix not installed (.ci/run installs it)"; return 1; }
  if pid=$(postfix_instance__master_pid "$dir"); then
    postfix_instance__die "an instance already runs in $dir (master pid $pid)"
    return 1
  fi
  if postfix_instance__listening "$port"; then
    postfix_instance__die "127.0.0.1:$port is already in use"
    return 1
  fi

  local mode_conf
  mode_conf=$(postfix_instance__mode_conf "$mode") || return 1

  mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
  chmod 755 "$dir" # the daemons run as postfix and must reach $dir/queue
  chown root:root "$dir/etc" "$dir/queue"
  chmod 755 "$dir/queue"
  chown postfix:postfix "$dir/data"
  touch "$dir/maillog"
  chown postfix:postfix "$dir/maillog"

  cat >"$dir/etc/main.cf" <<EOF
# Written by bench/lib/postfix-instance.sh: a private instance in $dir, loopback only.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
syslog_name = postfix-instance-$port

myhostname = postfix-$port.localhost
mydomain = localhost
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
biff = no

inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks_style = host
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
# Measure throughput, don't throttle the client.
in_flow_delay = 0
smtpd_banner = \$myhostname ESMTP
smtp_dns_support_level = disabled
smtpd_tls_security_level = none
smtp_tls_security_level = none

$mode_conf
EOF

  # Every service unprivileged where Postfix allows, none chrooted (the queue is not a jail).
  cat >"$dir/etc/master.cf" <<EOF
# Written by bench/lib/postfix-instance.sh. The only listener: 127.0.0.1:$port.
127.0.0.1:$port inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF

  # `postfix check` (run by start) creates the queue's subdirectories with their owners.
  if ! postfix -c "$dir/etc" start >>"$dir/start.out" 2>&1; then
    cat "$dir/start.out" >&2
    tail -n 20 "$dir/maillog" >&2
    postfix_instance__die "postfix -c $dir/etc start failed (log: $dir/maillog)"
    return 1
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    postfix_instance__listening "$port" && break
    sleep 0.1
  done
  if ! postfix_instance__listening "$port"; then
    tail -n 20 "$dir/maillog" >&2
    postfix_instance_stop "$dir" || true
    postfix_instance__die "instance in $dir did not listen on 127.0.0.1:$port (log: $dir/maillog)"
    return 1
  fi
  echo "postfix-instance: $dir listening on 127.0.0.1:$port, mode $mode," \
    "master pid $(postfix_instance__master_pid "$dir"), log $dir/maillog"
}

postfix_instance_stop() {
  local dir=${1:-} pid pids=() p i alive
  [[ -n $dir ]] || { postfix_instance__die "usage: stop DIR"; return 1; }
  postfix_instance__check_dir "$dir" || return 1
  if ! pid=$(postfix_instance__master_pid "$dir"); then
    echo "postfix-instance: nothing running in $dir"
    return 0
  fi
  # The master and its children (smtpd, qmgr, cleanup...), listed before they go away.
  pids=("$pid")
  while read -r p; do [[ -n $p ]] && pids+=("$p"); done < <(pgrep -P "$pid" || true)
  postfix -c "$dir/etc" stop >>"$dir/stop.out" 2>&1 || true
  for ((i = 0; i < 100; i++)); do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    ((${#alive[@]} == 0)) && break
    sleep 0.1
  done
  if ((${#alive[@]} > 0)); then
    # An orderly stop did not finish within 10 s: abort, then kill what we listed.
    postfix -c "$dir/etc" abort >>"$dir/stop.out" 2>&1 || true
    sleep 0.5
    for p in "${alive[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.2
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    if ((${#alive[@]} > 0)); then
      postfix_instance__die "processes of $dir still running: ${alive[*]}"
      return 1
    fi
  fi
  echo "postfix-instance: stopped $dir (master pid $pid)"
}

postfix_instance_status() {
  local dir=${1:-} pid q
  [[ -n $dir ]] || { postfix_instance__die "usage: status DIR"; return 1; }
  if pid=$(postfix_instance__master_pid "$dir"); then
    echo "running: master pid $pid"
  else
    echo "not running"
  fi
  for q in maildrop incoming active deferred hold; do
    if [[ -d $dir/queue/$q ]]; then
      echo "$q: $(find "$dir/queue/$q" -type f | wc -l)"
    fi
  done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  PATH="$PATH:/usr/sbin:/sbin"
  cmd=${1:-}
  shift || true
  case $cmd in
    start) postfix_instance_start "$@" ;;
    stop) postfix_instance_stop "$@" ;;
    status) postfix_instance_status "$@" ;;
    *)
      echo "usage: $0 start DIR PORT MODE | stop DIR | status DIR" >&2
      echo "  MODE: accept-only | discard | relay:127.x.x.x:PORT" >&2
      exit 2
      ;;
  esac
fi

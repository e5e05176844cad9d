#!/usr/bin/env bash
# Throwaway PostgreSQL clusters on loopback, for tests/run-all.sh and the .NET tests
# (which run it as `bash tests/postgres.sh <command> ...`).
#   install              installs Debian's PostgreSQL server when no server binaries are found
#   start DIR PORT       creates the cluster in DIR when missing, starts it on 127.0.0.1:PORT
#   stop DIR             fast stop (no error when not running)
#   kill DIR             immediate stop, as after a crash (no shutdown checkpoint; recovery on next start)
#   restart DIR          fast stop, then start again on the same port
#   status DIR           exits 0 when the cluster runs
#   remove DIR           stops the cluster and deletes DIR
#   free-port            prints a TCP port free on 127.0.0.1
#   connstr PORT [DB]    prints the Npgsql connection string (user postgres, no password)
# Layout of DIR: data/ (the cluster), log (server log), and the unix socket.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# Server binaries folder: Debian's versioned folders (highest version first), else PATH.
bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  d=$(command -v initdb 2>/dev/null) && { dirname "$d"; return 0; }
  return 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the cluster owner: PostgreSQL refuses to run as root, so root uses Debian's
# postgres user. From / because the caller's folder may not be readable by that user.
as_owner() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

cmd_install() {
  bindir >/dev/null && return 0
  local sudo=""; is_root || sudo="sudo"
  echo "postgres.sh: installing PostgreSQL (Debian packages)" >&2
  # Without this the package creates and starts its own default cluster on port 5432.
  $sudo mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
  $sudo apt-get update -qq
  # UCF_FORCE_CONFFOLD: keep the file written above instead of asking about it (it is ucf-managed).
  $sudo env DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y -qq postgresql >/dev/null
  bindir >/dev/null || die "no initdb found after installing postgresql"
}

# pg_ctl with the right user and binaries; $dir must be absolute.
pgctl() { as_owner "$bin/pg_ctl" -D "$dir/data" "$@"; }

running() { [ -d "$dir/data" ] && pgctl status >/dev/null 2>&1; }

cmd_start() {
  local port=$1
  [[ $port =~ ^[0-9]+$ ]] || die "start: PORT must be a number, got '$port'"
  cmd_install
  bin=$(bindir)
  running && return 0
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    # The server's socket path (DIR/.s.PGSQL.PORT) is limited to 107 bytes.
    [ ${#dir} -le 90 ] || die "start: path too long for the unix socket: $dir"
    mkdir -p "$dir"
    if is_root; then
      getent passwd postgres >/dev/null || die "start: no 'postgres' user to run the server as"
      chown -R postgres:postgres "$dir"
      # The postgres user must be able to reach DIR (a parent such as /root may be 0700).
      local p=$dir
      while p=$(dirname "$p"); [ "$p" != / ]; do
        runuser -u postgres -- test -x "$p" || chmod o+x "$p"
      done
    fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { tail -n 20 "$dir/initdb.log" >&2; die "start: initdb failed in $dir/data"; }
    cat >>"$dir/data/postgresql.conf" <<EOF

# tests/postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 300
EOF
  elif ! grep -q "^port = $port\$" "$dir/data/postgresql.conf"; then
    # Existing cluster started on another port: the last 'port =' line wins.
    echo "port = $port" | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
  fi
  # -l: the log file is created by pg_ctl as the owner, so DIR must be writable by it.
  if ! pgctl -w -t 60 -l "$dir/log" start >/dev/null; then
    tail -n 20 "$dir/log" >&2 2>/dev/null || true
    die "start: the server in $dir did not start on 127.0.0.1:$port (log above, full log in $dir/log)"
  fi
}

cmd_stop() { running || return 0; pgctl -w -m "${1:-fast}" stop >/dev/null; }

# The port the cluster was configured with (the last 'port =' line of its configuration).
conf_port() { sed -n 's/^port = \([0-9]*\)$/\1/p' "$dir/data/postgresql.conf" | tail -n 1; }

free_port() {
  # Random ports below Linux's ephemeral range (32768+), so outgoing connections do not take them
  # later; free when nothing accepts a connection on it.
  local port i
  for i in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    if ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  die "free-port: found no free port"
}

[ $# -ge 1 ] || usage
command=$1; shift
case "$command" in
  install) cmd_install ;;
  free-port) free_port ;;
  connstr)
    [ $# -ge 1 ] || usage
    echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=${2:-postgres}" ;;
  start|stop|kill|restart|status|remove)
    [ $# -ge 1 ] || usage
    dir=$(realpath -m "$1")
    if [ "$command" = start ]; then
      [ $# -ge 2 ] || usage
      cmd_start "$2"; exit 0
    fi
    if ! bin=$(bindir); then
      # No server binaries, so no cluster can run: nothing to stop.
      [ "$command" != remove ] || rm -rf "$dir"
      [ "$command" != status ] || exit 3
      [ "$command" != restart ] || die "restart: no PostgreSQL server binaries"
      exit 0
    fi
    case "$command" in
      stop) cmd_stop fast ;;
      kill) cmd_stop immediate ;;
      restart)
        [ -f "$dir/data/PG_VERSION" ] || die "restart: no cluster in $dir"
        cmd_stop fast; cmd_start "$(conf_port)" ;;
      status) running ;;
      remove) cmd_stop fast || cmd_stop immediate || true; rm -rf "$dir" ;;
    esac ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# Refresh rotations per second, on SQLite and on PostgreSQL, with wrk: N clients (default 4), each chaining its
# own refresh token (header mode), in front of the demo app (which only serves the login). Everything on loopback.
#   bash bench/refresh-rotations.sh [seconds per run, default 8] [rounds, default 3] [clients, default 4]
# Prints one line per run and the medians. Installs wrk (and PostgreSQL, through tests/postgres.sh) when missing.
# Layout as in the Dockerfile: proxy.yaml in a config folder, the SQLite file (and the PostgreSQL cluster) in folders
# of their own. The gateway watches proxy.yaml's folder, subfolders included, for edits: a database written inside it
# wakes that watcher on every commit (tens of microseconds a rotation). SG_BENCH_DATA_NEXT_TO_CONFIG=1 measures the
# demo's layout instead (sessions.db next to proxy.yaml, as the committed proxy.yaml has it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-8}
rounds=${2:-3}
clients=${3:-4}
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v wrk >/dev/null 2>&1; then
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi

dotnet build src/SessionGateway.Demo -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d /tmp/sg-bench-XXXXXX)
mkdir -p "$work/config" "$work/data"
pg_dir="$work/pg"
data_dir="$work/data"
[ "${SG_BENCH_DATA_NEXT_TO_CONFIG:-}" = 1 ] && data_dir="$work/config" && pg_dir="$work/config/pg"
demo_pid=""
cleanup() {
  [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  bash tests/postgres.sh remove "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pg_port=$(bash tests/postgres.sh free-port)
bash tests/postgres.sh start "$pg_dir" "$pg_port" >/dev/null
pg_conn=$(bash tests/postgres.sh connstr "$pg_port")

# The demo gateway on the committed proxy.yaml (a copy, so the database lands in the temp folder), quiet logs.
cp proxy.yaml "$work/config/proxy.yaml"
demo="$root/src/SessionGateway.Demo/bin/Release/net10.0/SessionGateway.Demo.dll"

run_store() { # provider connection-string
  local provider=$1 conn=$2
  # Every wrk connection comes from 127.0.0.1: the per-address rate limits would measure themselves, not the store.
  dotnet "$demo" --config "$work/config/proxy.yaml" --Logging:LogLevel:Default Warning \
    --Session:RateLimits:Refresh:Enabled false --Session:RateLimits:Login:Enabled false \
    --Session:Store:Provider "$provider" --Session:Store:ConnectionString "$conn" >"$work/demo.log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null http://127.0.0.1:8080/.well-known/jwks.json && break
    sleep 0.1
  done
  # Warm-up at least as long as a run and 10 s: tiered JIT, PGO and the statements PostgreSQL prepares settle first
  # (on a busy machine tiering takes longer than 8 s).
  wrk -t"$clients" -c"$clients" -d"$(( seconds > 10 ? seconds : 10 ))s" -s bench/refresh.lua http://127.0.0.1:8080 >/dev/null
  local results=()
  for round in $(seq 1 "$rounds"); do
    local out rps bad
    out=$(wrk -t"$clients" -c"$clients" -d"${seconds}s" --latency -s bench/refresh.lua http://127.0.0.1:8080)
    rps=$(awk '/^Requests\/sec/ {print int($2)}' <<<"$out")
    bad=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out"); bad=${bad:-0}
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "$provider, $clients clients, round $round: $rps rotations/s, p99 $p99, non-2xx/3xx answers: $bad"
    results+=("$rps")
  done
  kill "$demo_pid"; wait "$demo_pid" 2>/dev/null || true; demo_pid=""
  printf '%s\n' "${results[@]}" | sort -n | awk -v p="$provider" '{a[NR]=$1} END {print p " median: " a[int((NR+1)/2)] " rotations/s"}'
}

run_store sqlite "$data_dir/sessions.db"
run_store postgres "$pg_conn"

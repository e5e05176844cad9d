#!/usr/bin/env bash
# The published benchmark: the gateway against what a user would compare it with, on this machine, in one run.
#
#   bash bench/run.sh            full run (about 5 minutes); rewrites the generated part of docs/benchmarks.md
#                                and docs/benchmarks.png
#   bash bench/run.sh --quick    smoke run (about a minute): 2 s runs, 1 round; prints the tables only
#   bash bench/run.sh --no-docs  full run that prints the table only
#   bash bench/run.sh --only start   only start to first answer (gateway, bare YARP and bare YARP with one
#                                catch-all route, BENCH_STARTS each, interleaved); prints its line only. For work
#                                on start-up on a shared machine.
#   bash bench/run.sh --only proxy   only the requests/s table (no refresh, memory or start); prints it only.
#
# Settings (environment):
#   BENCH_SECONDS=8            length of one wrk run (each warm-up is as long)
#   BENCH_ROUNDS=3             interleaved rounds over the targets; medians are taken over them
#   BENCH_CONNECTIONS=32       wrk connections for the proxy targets (wrk -t1: one load thread)
#   BENCH_REFRESH_CLIENTS=4    refresh clients, each chaining its own refresh token
#   BENCH_STARTS=5             process starts per target for "start to first answer"
#   BENCH_KEEP=1               keep the temporary folder (configs, logs, raw wrk output) for a look afterwards
#
# What it measures, all on 127.0.0.1 (docs/benchmarks.md says more):
#   1. requests/s and p99 latency, wrk -t1 -cN, of: the upstream itself (nginx `return 200`, 100-byte body),
#      nginx proxy_pass, bare YARP (bench/BareYarp, the gateway's routes), the gateway on an anonymous route, the
#      gateway on a session route with a valid access-token cookie, nginx with auth_request to the gateway
#      (forward-auth, the shipped deploy/nginx configuration) on that route; each warmed up first, then rounds
#      interleaved so that noise from other work on the machine falls on every target alike; medians, and ratios
#      to bare YARP from this run.
#   2. refresh rotations/s on SQLite and on PostgreSQL, N clients each chaining its own token (bench/refresh.lua).
#   3. resident memory under load (VmRSS sampled during the measured runs, VmHWM), gateway vs bare YARP.
#   4. time from process start to the first answer through the proxy, gateway vs bare YARP (median of starts,
#      polled every millisecond without starting a process per attempt); bare YARP with one catch-all route too.
# Any answer other than 2xx, or any socket error, makes a target invalid; an invalid run exits 1 and leaves
# the docs alone.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
write_docs=1
only=""
expect_only=0
for arg in "$@"; do
  if [ "$expect_only" -eq 1 ]; then
    [ "$arg" = start ] || [ "$arg" = proxy ] || { echo "run.sh: --only takes 'start' or 'proxy' (see --help)" >&2; exit 2; }
    only=$arg; write_docs=0; expect_only=0; continue
  fi
  case "$arg" in
    --quick) quick=1; write_docs=0 ;;
    --no-docs) write_docs=0 ;;
    --only) expect_only=1 ;;
    --only=start) only=start; write_docs=0 ;;
    --only=proxy) only=proxy; write_docs=0 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$expect_only" -eq 0 ] || { echo "run.sh: --only needs a part: start or proxy (see --help)" >&2; exit 2; }
if [ "$quick" -eq 1 ]; then
  seconds=${BENCH_SECONDS:-2}; rounds=${BENCH_ROUNDS:-1}; starts=${BENCH_STARTS:-2}
else
  seconds=${BENCH_SECONDS:-8}; rounds=${BENCH_ROUNDS:-3}; starts=${BENCH_STARTS:-5}
fi
connections=${BENCH_CONNECTIONS:-32}
refresh_clients=${BENCH_REFRESH_CLIENTS:-4}

# The proxy targets, in the order of every round.
# yarp-cookie: bare YARP sent the session route's request (its Cookie header), which it forwards as it is: what
# part of the session route's cost is the bigger request rather than the gateway's work.
# yarp-work: bare YARP doing the session route's work besides the token check (bench/BareYarp/SessionWork.cs),
# sent the same request: the floor of that work on YARP's own extension points.
# nginx-auth: the shipped deploy/nginx configuration (tests/proxies.sh renders it) in front of the upstream, asking a
# second gateway (forward-auth on, same store) about each request with auth_request; compared with nginx alone.
targets=(upstream nginx yarp yarp-cookie yarp-work gateway-anon gateway-session nginx-auth)
declare -A label=(
  [upstream]="upstream alone (nginx return 200)"
  [nginx]="nginx proxy_pass"
  [yarp]="bare YARP"
  [yarp-cookie]="bare YARP, the session route's request (Cookie header)"
  [yarp-work]="bare YARP + the session route's work but the token check, same request"
  [gateway-anon]="gateway, anonymous route"
  [gateway-session]="gateway, session route (valid cookie)"
  [nginx-auth]="nginx auth_request -> gateway (forward-auth, valid cookie)"
  [refresh-sqlite]="refresh, SQLite"
  [refresh-postgres]="refresh, PostgreSQL"
)
declare -A short=(
  [upstream]="upstream alone" [nginx]="nginx proxy_pass" [yarp]="bare YARP"
  [yarp-cookie]="bare YARP + cookie" [yarp-work]="bare YARP + header work" [gateway-anon]="gateway, anonymous" [gateway-session]="gateway, session"
  [nginx-auth]="nginx auth_request -> gateway"
)
# The goals of issue 9, shown next to the numbers: rps ratio to bare YARP (at least), p99 ratio (at most).
declare -A rps_goal=([gateway-anon]=0.97 [gateway-session]=0.95)
declare -A p99_goal=([gateway-anon]=1.15 [gateway-session]=1.15)

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

# --- Tools -------------------------------------------------------------------------------------------------

# Debian packages, installed only when the command is missing. The lock timeout: other work on the machine
# may be installing packages at the same moment.
install_tools() {
  local missing=() sudo=""
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ -f /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so ] || missing+=(libnginx-mod-http-headers-more-filter)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing ${missing[*]} (Debian packages)"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
}

# --- Processes and clean-up --------------------------------------------------------------------------------

work=""
pids=()          # every process this script started; stopped on exit
pg_dir=""

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [ -z "$pg_dir" ] || bash tests/postgres.sh remove "$pg_dir" >/dev/null 2>&1 || true
  if [ -n "$work" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one started process and forgets it.
stop() {
  local pid=$1 kept=() p
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  pids=("${kept[@]}")
}

# A TCP port free on 127.0.0.1 and not handed out before by this script (ports are taken only when the
# processes start, so two calls could otherwise return the same one: an nginx and a gateway on one port made the
# gateway exit and nginx answer in its place). Callers run it in a command substitution, a subshell whose variables
# are lost, so the ports handed out are kept in a file of the run.
free_port() {
  local port
  while :; do
    port=$(bash tests/postgres.sh free-port)
    grep -qx "$port" "$work/ports" 2>/dev/null || break
  done
  echo "$port" >>"$work/ports"
  echo "$port"
}

# Waits until url answers 200; shows the log and gives up after 30 s.
wait_ready() {
  local url=$1 logfile=$2
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ] && return 0
    sleep 0.1
  done
  tail -n 30 "$logfile" >&2 || true
  die "no 200 from $url after 30 s (log above)"
}

nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

# An nginx of its own (not the system service): config and everything it writes under a folder of the run,
# master in the foreground (daemon off) so its pid is ours to stop.
start_nginx() { # name (config in $work/name/nginx.conf); the pid is in $started
  local prefix="$work/$1"
  "$(nginx_bin)" -c "$prefix/nginx.conf" -p "$prefix" -e "$prefix/error.log" >"$prefix/stdout.log" 2>&1 &
  started=$!
  pids+=("$started")
}

# Writes the nginx config shared part: quiet, temp files inside the prefix, long keep-alive (Kestrel never
# closes a keep-alive connection after N requests, so nginx should not either: wrk would measure reconnects).
nginx_conf_head() { # workers
  cat <<EOF
worker_processes $1;
daemon off;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
EOF
}

write_upstream_conf() { # port
  mkdir -p "$work/upstream/tmp"
  # 100 bytes, about a small page or API answer.
  local body
  body="ok $(printf '%*s' 96 '' | tr ' ' '.')"
  {
    # One worker: it answers 3-4 times what any proxy here forwards, and a second worker would only take
    # CPU from the proxy under test on a 2-core machine.
    nginx_conf_head 1
    cat <<EOF
  server {
    listen 127.0.0.1:$1;
    default_type text/plain;
    # The login form of the bench: always succeeds, for user bench-user (the gateway creates the session).
    location = /login { add_header X-Session-Create bench-user always; return 200 "ok\n"; }
    location / { return 200 "$body\n"; }
  }
}
EOF
  } >"$work/upstream/nginx.conf"
}

write_nginx_proxy_conf() { # port upstream-port
  mkdir -p "$work/nginx/tmp"
  {
    # As in production: one worker per core, pooled keep-alive connections to the upstream.
    nginx_conf_head auto
    cat <<EOF
  upstream app {
    server 127.0.0.1:$2;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$1;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  } >"$work/nginx/nginx.conf"
}

write_gateway_conf() { # port upstream-port
  (umask 077 && head -c 32 /dev/urandom | base64 >"$work/config/kek")
  cat >"$work/config/proxy.yaml" <<EOF
# Written by bench/run.sh.
Urls: http://127.0.0.1:$1
Logging:
  LogLevel:
    Default: Warning
Session:
  # Outlasts the run: the session route's token must stay valid for every request.
  AccessTokenLifetime: 1h
  Store:
    ConnectionString: $work/data/sessions.db
  # As in production: signing keys encrypted at rest.
  KeyEncryption:
    KeyFile: $work/config/kek
  # Every wrk connection comes from 127.0.0.1: per-address limits would measure themselves.
  RateLimits:
    Refresh:
      Enabled: false
    Login:
      Enabled: false
ReverseProxy:
  Routes:
    login:
      ClusterId: upstream
      AuthorizationPolicy: anonymous
      Metadata:
        SessionLogin: "true"
      Match:
        Path: /login
        Methods: [POST]
    public:
      ClusterId: upstream
      AuthorizationPolicy: anonymous
      Match:
        Path: /public/{**rest}
    app:
      ClusterId: upstream
      AuthorizationPolicy: default
      Match:
        Path: /app/{**rest}
  Clusters:
    upstream:
      Destinations:
        nginx:
          Address: http://127.0.0.1:$2/
EOF
}

# Set by build(): both are published the way the Dockerfile publishes the gateway (ReadyToRun, framework-
# dependent), so the comparison is of what a deployment runs, start-up included.
gateway_dll=""
yarp_dll=""

start_gateway() { # port log [extra args...]; the pid is in $started
  local port=$1 logfile=$2; shift 2
  dotnet "$gateway_dll" --config "$work/config/proxy.yaml" --Urls "http://127.0.0.1:$port" "$@" >"$logfile" 2>&1 &
  started=$!
  pids+=("$started")
}

# Bare YARP routes what the gateway's proxy.yaml routes (write_gateway_conf): the login route with its method, /public
# and /app, so that both build the same route table at start and match against it per request; what differs is the
# gateway's own work. yarp_routes=catch-all (the start benchmark's third target) is bare YARP with one catch-all route
# instead: the route table's share of a start.
yarp_routes=gateway
start_yarp() { # port log [extra args...]; the pid is in $started
  local port=$1 logfile=$2; shift 2
  local routes=(--ReverseProxy:Routes:all:ClusterId upstream --ReverseProxy:Routes:all:Match:Path "{**catch-all}")
  if [ "$yarp_routes" = gateway ]; then
    routes=(
      --ReverseProxy:Routes:login:ClusterId upstream --ReverseProxy:Routes:login:Match:Path /login
      --ReverseProxy:Routes:login:Match:Methods:0 POST
      --ReverseProxy:Routes:public:ClusterId upstream --ReverseProxy:Routes:public:Match:Path "/public/{**rest}"
      --ReverseProxy:Routes:app:ClusterId upstream --ReverseProxy:Routes:app:Match:Path "/app/{**rest}")
  fi
  dotnet "$yarp_dll" "$@" --Urls "http://127.0.0.1:$port" --Logging:LogLevel:Default Warning "${routes[@]}" \
    --ReverseProxy:Clusters:upstream:Destinations:nginx:Address "http://127.0.0.1:$upstream_port/" \
    >"$logfile" 2>&1 &
  started=$!
  pids+=("$started")
}

# --- Build -------------------------------------------------------------------------------------------------

# The runtime settings that change speed (GC mode, tiering, PGO...) must be the same for the gateway and bare
# YARP, or the ratio measures a setting instead of the code.
check_same_runtime_settings() {
  local a b
  a=$(jq -S '.runtimeOptions.configProperties' "${gateway_dll%.dll}.runtimeconfig.json")
  b=$(jq -S '.runtimeOptions.configProperties' "${yarp_dll%.dll}.runtimeconfig.json")
  if [ "$a" != "$b" ]; then
    diff <(echo "$a") <(echo "$b") >&2 || true
    die "the gateway and bench/BareYarp run with different runtime settings (above): mirror the gateway's csproj in bench/BareYarp/BareYarp.csproj"
  fi
}

# The YARP version each project resolved (central package management gives both the same one; a version not
# served locally could be bumped for one of them).
resolved_yarp() { # project folder
  jq -r '.libraries | keys[] | select(startswith("Yarp.ReverseProxy/")) | sub("Yarp.ReverseProxy/"; "")' "$1/obj/project.assets.json"
}

build() {
  log "publishing in Release (ReadyToRun, as the Dockerfile does)"
  gateway_dll="$work/publish/gateway/SessionGateway.dll"
  yarp_dll="$work/publish/yarp/BareYarp.dll"
  # From clean intermediate folders: ReadyToRun images left in obj/ by an earlier publish were once reused after a
  # merge changed the engine, and the published gateway aborted at start; a benchmark measures a clean build.
  local rid
  rid=$(dotnet --info | awk '/ RID:/ {print $2; exit}')
  rm -rf src/SessionGateway/obj/Release/net10.0/"$rid" src/SessionGateway.Engine/obj/Release/net10.0/"$rid" \
    bench/BareYarp/obj/Release/net10.0/"$rid"
  dotnet publish src/SessionGateway -c Release --use-current-runtime --self-contained false \
    -o "$work/publish/gateway" -nologo -clp:ErrorsOnly -v:q >/dev/null
  # Not in SessionGateway.sln (so the solution's builds and tests stay as they are): built by path.
  dotnet publish bench/BareYarp -c Release --use-current-runtime --self-contained false \
    -o "$work/publish/yarp" -nologo -clp:ErrorsOnly -v:q >/dev/null
  check_same_runtime_settings
  yarp_version=$(resolved_yarp src/SessionGateway)
  [ "$yarp_version" = "$(resolved_yarp bench/BareYarp)" ] || die "the gateway and bench/BareYarp resolved different Yarp.ReverseProxy versions"
}

# --- wrk ---------------------------------------------------------------------------------------------------

# CPU time (clock ticks) used so far by processes and their children that are still running (nginx's workers).
cpu_ticks() { # pid...
  local p children=()
  for p in "$@"; do mapfile -t -O "${#children[@]}" children < <(pgrep -P "$p" || true); done
  # Fields 14 and 15 of /proc/PID/stat (user and system time), counted after the ") " that ends the name.
  for p in "$@" "${children[@]}"; do cat "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{sub(/^.*\) /, ""); t += $12 + $13} END {print t + 0}'
}
# Busy and total clock ticks of the whole machine (every core, every process: other work on it too).
machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat; }

# One wrk run; appends "rps p99-ms bad proxy-cores upstream-cores wrk-cores machine-busy-cores" to
# $work/results/<name> and keeps wrk's output in $work/raw. $proxy_pids: the process(es) under test;
# $backend_pids: what they talk to (the upstream nginx, the PostgreSQL server).
# The CPU columns say what bounds a target: on 2 cores, wrk, the upstream and the proxy share them (and so
# does whatever else runs on the machine: the last column counts it too).
measure() { # name threads connections url [wrk args...]
  local name=$1 threads=$2 conns=$3 url=$4; shift 4
  local out rps p99 bad proxy0 up0 m0 proxy1 up1 m1 wrk_s proxy_cores up_cores wrk_cores machine_cores p
  # shellcheck disable=SC2086 # lists of pids, one a word
  { proxy0=$(cpu_ticks $proxy_pids); up0=$(cpu_ticks $backend_pids); m0=$(machine_ticks); }
  # `times` after wrk: its second line is the CPU time of this subshell's children, that is of wrk.
  out=$(wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency "$@" "$url" && times)
  # shellcheck disable=SC2086
  { proxy1=$(cpu_ticks $proxy_pids); up1=$(cpu_ticks $backend_pids); m1=$(machine_ticks); }
  wrk_s=$(tail -n 1 <<<"$out" | awk '{for (i = 1; i <= 2; i++) {split($i, a, /[ms]/); s += a[1] * 60 + a[2]}} END {print s}')
  out=$(head -n -2 <<<"$out")
  for p in $proxy_pids $backend_pids; do
    kill -0 "$p" 2>/dev/null || die "process $p ($name or what is behind it) ended during the run"
  done
  echo "$out" >>"$work/raw/$name.txt"
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  # wrk prints 850.00us, 2.61ms or 1.02s.
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) v /= 1000; else if (v ~ /ms$/) v += 0; else v *= 1000; print v}' <<<"$out")
  bad=$(bad_answers <<<"$out")
  read -r proxy_cores up_cores wrk_cores machine_cores < <(awk -v p="$((proxy1 - proxy0))" -v u="$((up1 - up0))" \
    -v w="$wrk_s" -v busy="$(($(cut -d' ' -f1 <<<"$m1") - $(cut -d' ' -f1 <<<"$m0")))" \
    -v total="$(($(cut -d' ' -f2 <<<"$m1") - $(cut -d' ' -f2 <<<"$m0")))" -v hz="$clk_tck" -v s="$seconds" -v n="$(nproc)" \
    'BEGIN {printf "%.2f %.2f %.2f %.2f\n", p / hz / s, u / hz / s, w / s, busy / total * n}')
  echo "$rps $p99 $bad $proxy_cores $up_cores $wrk_cores $machine_cores" >>"$work/results/$name"
  log "$name: $rps/s, p99 $p99 ms, non-2xx answers or socket errors: $bad; cores used: target $proxy_cores, behind it $up_cores, wrk $wrk_cores, whole machine $machine_cores"
}

# Answers that were not 2xx/3xx, plus socket errors (connect, read, write, timeout), from wrk's summary.
bad_answers() {
  awk '/Non-2xx or 3xx responses/ {n += $5}
       /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10}
       END {print n + 0}'
}

warm_up() { # url [wrk args...]
  local url=$1; shift
  wrk -t1 -c"$connections" -d"${seconds}s" "$@" "$url" >/dev/null
}

# Median of column col of file.
median() { # file col
  sort -g -k"$2,$2" "$1" | awk -v c="$2" '{v[NR] = $c} END {
    if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sum() { awk -v c="$2" '{s += $c} END {print s + 0}' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "nan"}'; }

# Samples VmRSS (kB) of pid every 100 ms into file until stopped.
sample_rss() { # pid file
  while :; do
    awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null >>"$2" || return 0
    sleep 0.1
  done
}
vm_hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# --- The parts of the run ----------------------------------------------------------------------------------

start_servers() {
  upstream_port=$(free_port); nginx_port=$(free_port); yarp_port=$(free_port); gateway_port=$(free_port)
  yarp_work_port=$(free_port); fa_gateway_port=$(free_port); nginx_auth_port=$(free_port)
  write_upstream_conf "$upstream_port"
  write_nginx_proxy_conf "$nginx_port" "$upstream_port"
  write_gateway_conf "$gateway_port" "$upstream_port"
  start_nginx upstream; upstream_pid=$started
  start_nginx nginx; nginx_pid=$started
  start_yarp "$yarp_port" "$work/yarp.log"; yarp_pid=$started
  start_yarp "$yarp_work_port" "$work/yarp-work.log" --BareYarp:SessionWork true; yarp_work_pid=$started
  start_gateway "$gateway_port" "$work/gateway.log"; gateway_pid=$started
  # Forward-auth: a gateway of its own (the same configuration and store, so the same signing keys: the session
  # cookie of sign_in works there too) with the decision path on, and the shipped nginx configuration in front,
  # with as many workers as the nginx proxy_pass target.
  start_gateway "$fa_gateway_port" "$work/fa-gateway.log" --Session:ForwardAuth:Path /api/verify; fa_gateway_pid=$started
  NGINX_WORKERS=auto bash tests/proxies.sh render nginx "$work/nginx-auth" "$nginx_auth_port" "$fa_gateway_port" "$upstream_port"
  bash tests/proxies.sh run nginx "$work/nginx-auth" >"$work/nginx-auth/stdout.log" 2>&1 &
  nginx_auth_pid=$!
  pids+=("$nginx_auth_pid")
  declare -gA url=(
    [upstream]="http://127.0.0.1:$upstream_port/app/page"
    [nginx]="http://127.0.0.1:$nginx_port/app/page"
    [yarp]="http://127.0.0.1:$yarp_port/app/page"
    [yarp-cookie]="http://127.0.0.1:$yarp_port/app/page"
    [yarp-work]="http://127.0.0.1:$yarp_work_port/app/page"
    [gateway-anon]="http://127.0.0.1:$gateway_port/public/page"
    [gateway-session]="http://127.0.0.1:$gateway_port/app/page"
    [nginx-auth]="http://127.0.0.1:$nginx_auth_port/app/page"
  )
  wait_ready "${url[upstream]}" "$work/upstream/error.log"
  wait_ready "${url[nginx]}" "$work/nginx/error.log"
  wait_ready "${url[yarp]}" "$work/yarp.log"
  wait_ready "${url[yarp-work]}" "$work/yarp-work.log"
  wait_ready "${url[gateway-anon]}" "$work/gateway.log"
  wait_ready "http://127.0.0.1:$fa_gateway_port/public/page" "$work/fa-gateway.log"
  wait_ready "http://127.0.0.1:$nginx_auth_port/public/page" "$work/nginx-auth/error.log"
}

# Signs in through the gateway's login route and checks that the session route needs and accepts the cookie:
# a benchmark of 401 answers would be worthless.
sign_in() {
  local headers status
  headers=$(curl -s -D - -o /dev/null -X POST -d 'username=bench' "http://127.0.0.1:$gateway_port/login")
  access_token=$(sed -n 's/^[Ss]et-[Cc]ookie: sAccessToken=\([^;]*\).*/\1/p' <<<"$headers" | tr -d '\r' | head -n 1)
  [ -n "$access_token" ] || { echo "$headers" >&2; die "the login through the gateway set no sAccessToken cookie"; }
  curl -s -o "$work/upstream-body" "${url[upstream]}"
  status=$(curl -s -o /dev/null -w '%{http_code}' "${url[gateway-session]}")
  [ "$status" = 401 ] || die "the session route answered $status without a cookie, expected 401"
  status=$(curl -s -o "$work/session-body" -w '%{http_code}' -H "Cookie: sAccessToken=$access_token" "${url[gateway-session]}")
  if [ "$status" != 200 ] || ! cmp -s "$work/upstream-body" "$work/session-body"; then
    die "the session route with the cookie answered $status, not 200 with the upstream's body"
  fi
  # The same through nginx auth_request: refused without the cookie (the gateway's 401, mapped by the snippet),
  # the upstream's page with it. Not started for --only start.
  [ -n "${url[nginx-auth]:-}" ] || return 0
  status=$(curl -s -o /dev/null -w '%{http_code}' "${url[nginx-auth]}")
  [ "$status" = 401 ] || die "nginx auth_request answered $status without a cookie, expected 401 (see $work/nginx-auth/error.log)"
  status=$(curl -s -o "$work/nginx-auth-body" -w '%{http_code}' -H "Cookie: sAccessToken=$access_token" "${url[nginx-auth]}")
  if [ "$status" != 200 ] || ! cmp -s "$work/upstream-body" "$work/nginx-auth-body"; then
    die "nginx auth_request with the cookie answered $status, not 200 with the upstream's body"
  fi
}

target_args() { # target: extra wrk arguments
  case "$1" in
    gateway-session|yarp-cookie|yarp-work|nginx-auth) printf '%s\n' -H "Cookie: sAccessToken=$access_token" ;;
  esac
}

proxy_benchmark() {
  local target round sampler args
  log "warming up each target for ${seconds} s"
  for target in "${targets[@]}"; do
    mapfile -t args < <(target_args "$target")
    warm_up "${url[$target]}" "${args[@]}"
  done
  for round in $(seq 1 "$rounds"); do
    log "round $round of $rounds"
    for target in "${targets[@]}"; do
      mapfile -t args < <(target_args "$target")
      # Memory under load: the gateway while it serves the session route, bare YARP while it proxies.
      sampler=""
      case "$target" in
        yarp) sample_rss "$yarp_pid" "$work/results/rss-yarp" & sampler=$! ;;
        gateway-session) sample_rss "$gateway_pid" "$work/results/rss-gateway" & sampler=$! ;;
      esac
      [ -z "$sampler" ] || pids+=("$sampler")
      case "$target" in
        upstream) proxy_pids=$upstream_pid; backend_pids="" ;;
        nginx) proxy_pids=$nginx_pid; backend_pids=$upstream_pid ;;
        yarp-work) proxy_pids=$yarp_work_pid; backend_pids=$upstream_pid ;;
        yarp*) proxy_pids=$yarp_pid; backend_pids=$upstream_pid ;;
        gateway-*) proxy_pids=$gateway_pid; backend_pids=$upstream_pid ;;
        # Both serve each request: nginx (master and workers) and the gateway answering its auth_request.
        nginx-auth) proxy_pids="$nginx_auth_pid $fa_gateway_pid"; backend_pids=$upstream_pid ;;
      esac
      measure "$target" 1 "$connections" "${url[$target]}" "${args[@]}"
      [ -z "$sampler" ] || stop "$sampler"
    done
  done
  hwm_yarp=$(vm_hwm "$yarp_pid")
  hwm_gateway=$(vm_hwm "$gateway_pid")
}

# Refresh rotations: fresh gateways on SQLite and on PostgreSQL (the proxy benchmark's processes are stopped
# first, they would only take memory), warmed up, then rounds interleaved between the two stores.
refresh_benchmark() {
  local pg_port pg_conn sqlite_port postgres_port round store
  stop "$gateway_pid"; stop "$yarp_pid"; stop "${yarp_work_pid:-}"
  pg_dir="$work/pg"
  pg_port=$(free_port)
  log "starting PostgreSQL (tests/postgres.sh)"
  bash tests/postgres.sh start "$pg_dir" "$pg_port" >/dev/null
  pg_conn=$(bash tests/postgres.sh connstr "$pg_port")
  pg_version=$(psql -h 127.0.0.1 -p "$pg_port" -U postgres -Atc 'show server_version' | awk '{print $1}')
  sqlite_port=$(free_port); postgres_port=$(free_port)
  start_gateway "$sqlite_port" "$work/refresh-sqlite.log" --Session:Store:ConnectionString "$work/data/refresh.db"
  sqlite_pid=$started
  start_gateway "$postgres_port" "$work/refresh-postgres.log" \
    --Session:Store:Provider postgres --Session:Store:ConnectionString "$pg_conn"
  postgres_pid=$started
  wait_ready "http://127.0.0.1:$sqlite_port/public/page" "$work/refresh-sqlite.log"
  wait_ready "http://127.0.0.1:$postgres_port/public/page" "$work/refresh-postgres.log"
  declare -gA refresh_url=([sqlite]="http://127.0.0.1:$sqlite_port" [postgres]="http://127.0.0.1:$postgres_port")
  # One wrk thread per client, so that each thread drives one chain (see refresh.lua). Warm-up as long as a
  # run: tiered JIT, PGO and the statements PostgreSQL prepares settle first.
  log "warming up refresh on SQLite and PostgreSQL for ${seconds} s each"
  for store in sqlite postgres; do
    wrk -t"$refresh_clients" -c"$refresh_clients" -d"${seconds}s" -s bench/refresh.lua "${refresh_url[$store]}" >/dev/null
  done
  for round in $(seq 1 "$rounds"); do
    log "refresh round $round of $rounds"
    for store in sqlite postgres; do
      if [ "$store" = sqlite ]; then
        proxy_pids=$sqlite_pid; backend_pids=""
      else
        proxy_pids=$postgres_pid; backend_pids=$(head -n 1 "$pg_dir/data/postmaster.pid")
      fi
      measure "refresh-$store" "$refresh_clients" "$refresh_clients" "${refresh_url[$store]}" -s bench/refresh.lua
    done
  done
}

# Waits until http://127.0.0.1:port/path answers 200 (returns 0), the process exits (1) or the deadline passes (2;
# microseconds since the epoch). One attempt a millisecond, and no process started for any of them: bash opens the
# connection itself (/dev/tcp), and the pause is a read that times out on a FIFO nobody writes to. A curl and a
# sleep per attempt, as this loop was until 2026-11-28, cost about 8 ms of CPU every 13 ms: some 0.6 of this
# machine's two cores taken from the process being timed, and more from the gateway, which starts on both cores.
first_answer() { # port path pid deadline; the pause FIFO is open on $pause_fd
  local port=$1 path=$2 pid=$3 deadline=$4 status conn
  while :; do
    if { exec {conn}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
      # A connection reset before the request is written must not end the run by SIGPIPE: ignored around this
      # builtin only, so no process started later inherits it.
      trap '' PIPE
      printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&"$conn" 2>/dev/null || true
      trap - PIPE
      status=""
      IFS= read -r -t 5 -u "$conn" status 2>/dev/null || true
      exec {conn}>&-
      [[ "$status" == HTTP/1.?" 200 "* ]] && return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    (( ${EPOCHREALTIME//[!0-9]/} < deadline )) || return 2
    read -r -t 0.001 -u "$pause_fd" || true
  done
}

# Start to first answer: a fresh process each time, polled until the proxy route answers 200. The gateway
# opens the existing session database of the proxy benchmark (a restart, as after a deploy or a crash).
# Interleaved gateway, bare YARP and bare YARP with one catch-all route, so that machine noise falls on all three.
startup_benchmark() {
  local which port path t0 ms answered pause_fd
  stop "$gateway_pid"; stop "$yarp_pid"; stop "${yarp_work_pid:-}"
  # The poller's pause, opened before any start is timed (and closed after, so that no later process inherits it).
  mkfifo "$work/pause"
  exec {pause_fd}<>"$work/pause"
  log "start to first answer, $starts starts each"
  for _ in $(seq 1 "$starts"); do
    for which in gateway yarp yarp-catch-all; do
      port=$(free_port)
      t0=${EPOCHREALTIME//[!0-9]/}
      if [ "$which" = gateway ]; then
        start_gateway "$port" "$work/start-gateway.log"; path=/public/page
      else
        # A variable assigned before a function's name holds for that call only.
        if [ "$which" = yarp ]; then start_yarp "$port" "$work/start-yarp.log"
        else yarp_routes=catch-all start_yarp "$port" "$work/start-yarp-catch-all.log"; fi
        path=/app/page
      fi
      answered=0
      first_answer "$port" "$path" "$started" $((t0 + 30000000)) || answered=$?
      if [ "$answered" -ne 0 ]; then
        tail -n 30 "$work/start-$which.log" >&2
        [ "$answered" -eq 1 ] && die "$which exited during start"
        die "$which gave no answer within 30 s of its start"
      fi
      ms=$(((${EPOCHREALTIME//[!0-9]/} - t0) / 1000))
      echo "$ms" >>"$work/results/start-$which"
      stop "$started"
    done
  done
  exec {pause_fd}>&-
  log "start to first answer (ms): gateway $(tr '\n' ' ' <"$work/results/start-gateway"), yarp $(tr '\n' ' ' <"$work/results/start-yarp"), yarp with one catch-all route $(tr '\n' ' ' <"$work/results/start-yarp-catch-all")"
}

# --- Report ------------------------------------------------------------------------------------------------

# 12345.6 -> 12,346
thousands() { awk -v v="$1" 'BEGIN {s = sprintf("%.0f", v); r = ""; while (length(s) > 3) {r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3)} print s r}'; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 >= b + 0) ? "met" : "**missed**"}'; }
at_most() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 <= b + 0) ? "met" : "**missed**"}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

# Medians of the CPU columns: "1.21 / 0.35 / 0.62 / 1.98".
cores() { # results-file
  printf '%.2f / %.2f / %.2f / %.2f' "$(median "$1" 4)" "$(median "$1" 5)" "$(median "$1" 6)" "$(median "$1" 7)"
}
# CPU time of the target per request, in µs: the median over the runs of (cores used / requests per second).
cpu_per_request() { # results-file
  awk '{print $4 / $1 * 1000000}' "$1" >"$1.cpu"
  median "$1.cpu" 1
}
fixed() { printf "%.${2:-2}f" "$1"; }

answers() { # bad-count
  if [ "$1" -eq 0 ]; then echo "all 2xx"; else echo "**INVALID: $1 non-2xx or errors**"; fi
}

# The requests/s table and the lines under it, in Markdown; also the chart's first data file.
report_proxy() {
  local t rps p99 bad min max yarp_rps yarp_p99 yarp_cpu cpu rr pr goal
  yarp_rps=$(median "$work/results/yarp" 1)
  yarp_p99=$(median "$work/results/yarp" 2)
  : >"$work/chart-proxy.dat"
  yarp_cpu=$(cpu_per_request "$work/results/yarp")
  echo "| target | requests/s, median (range) | p99 ms, median | rps vs bare YARP | p99 vs bare YARP | CPU µs per request (vs bare YARP) | goal (issue 9) | answers | cores used: target / upstream / wrk / whole machine |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for t in "${targets[@]}"; do
    rps=$(median "$work/results/$t" 1); p99=$(median "$work/results/$t" 2); bad=$(sum "$work/results/$t" 3)
    min=$(sort -g "$work/results/$t" | head -n 1 | cut -d' ' -f1); max=$(sort -g "$work/results/$t" | tail -n 1 | cut -d' ' -f1)
    rr=$(ratio "$rps" "$yarp_rps"); pr=$(ratio "$p99" "$yarp_p99")
    goal=""
    if [ -n "${rps_goal[$t]:-}" ]; then
      goal="rps >= ${rps_goal[$t]}x: $(at_least "$rr" "${rps_goal[$t]}"); p99 <= ${p99_goal[$t]}x: $(at_most "$pr" "${p99_goal[$t]}")"
    fi
    cpu=$(cpu_per_request "$work/results/$t")
    echo "| ${label[$t]} | $(thousands "$rps") ($(thousands "$min")-$(thousands "$max")) | $(fixed "$p99") | ${rr}x | ${pr}x | $(fixed "$cpu" 1) ($(ratio "$cpu" "$yarp_cpu")x) | $goal | $(answers "$bad") | $(cores "$work/results/$t") |"
    echo "\"${short[$t]}\" $rr $pr" >>"$work/chart-proxy.dat"
  done
  echo
  local session_rps session_cpu same_rps same_cpu
  session_rps=$(median "$work/results/gateway-session" 1); session_cpu=$(cpu_per_request "$work/results/gateway-session")
  same_rps=$(median "$work/results/yarp-cookie" 1); same_cpu=$(cpu_per_request "$work/results/yarp-cookie")
  echo "The session route against bare YARP sent the same request (its Cookie header, which YARP forwards):" \
    "$(ratio "$session_rps" "$same_rps")x the requests/s, $(ratio "$session_cpu" "$same_cpu")x the CPU per request."
  same_rps=$(median "$work/results/yarp-work" 1); same_cpu=$(cpu_per_request "$work/results/yarp-work")
  echo "Against bare YARP doing the same header work but no token check (bench/BareYarp/SessionWork.cs):" \
    "$(ratio "$session_rps" "$same_rps")x the requests/s, $(ratio "$session_cpu" "$same_cpu")x the CPU per request;" \
    "that work alone puts bare YARP at $(ratio "$same_rps" "$(median "$work/results/yarp" 1)")x its own requests/s."
  local auth_rps auth_p99 alone_rps alone_p99
  auth_rps=$(median "$work/results/nginx-auth" 1); auth_p99=$(median "$work/results/nginx-auth" 2)
  alone_rps=$(median "$work/results/nginx" 1); alone_p99=$(median "$work/results/nginx" 2)
  echo "nginx auth_request -> gateway (forward-auth) against nginx alone (nginx proxy_pass), same run:" \
    "$(thousands "$auth_rps") vs $(thousands "$alone_rps") requests/s, $(ratio "$auth_rps" "$alone_rps")x;" \
    "p99 $(fixed "$auth_p99") vs $(fixed "$alone_p99") ms, $(ratio "$auth_p99" "$alone_p99")x."
  echo
  # What else ran: the machine's busy cores minus the target, what is behind it and wrk, over every measured run.
  cat "${targets[@]/#/$work/results/}" | awk '{o = $7 - $4 - $5 - $6; print (o > 0 ? o : 0)}' >"$work/results/others"
  echo "Other processes on the machine used a median of $(fixed "$(median "$work/results/others" 1)") of the $(nproc) cores" \
    "during these runs (0 on an idle machine; the more, the noisier the numbers)."
}

# The tables, in Markdown (readable as they are in a terminal too); also the chart's data files.
report() {
  local t rps p99 bad min max rr goal steady_g steady_y s_g s_y name
  report_proxy
  echo
  echo "| refresh, $refresh_clients clients each chaining its own token | rotations/s, median (range) | p99 ms, median | goal (issue 9) | answers | cores used: gateway / database server / wrk / whole machine |"
  echo "|---|---|---|---|---|---|"
  for t in sqlite postgres; do
    rps=$(median "$work/results/refresh-$t" 1); p99=$(median "$work/results/refresh-$t" 2); bad=$(sum "$work/results/refresh-$t" 3)
    min=$(sort -g "$work/results/refresh-$t" | head -n 1 | cut -d' ' -f1); max=$(sort -g "$work/results/refresh-$t" | tail -n 1 | cut -d' ' -f1)
    goal=""; [ "$t" = sqlite ] && goal=">= 8,000/s: $(at_least "$rps" 8000)"
    [ "$t" = sqlite ] && name="SQLite (WAL, synchronous=NORMAL)" || name="PostgreSQL $pg_version (fsync, synchronous_commit on)"
    echo "| $name | $(thousands "$rps") ($(thousands "$min")-$(thousands "$max")) | $(fixed "$p99") | $goal | $(answers "$bad") | $(cores "$work/results/refresh-$t") |"
  done
  echo
  steady_g=$(median "$work/results/rss-gateway" 1); steady_y=$(median "$work/results/rss-yarp" 1)
  s_g=$(median "$work/results/start-gateway" 1); s_y=$(median "$work/results/start-yarp" 1)
  echo "| gateway vs bare YARP | gateway | bare YARP | ratio | goal (issue 9) |"
  echo "|---|---|---|---|---|"
  rr=$(ratio "$steady_g" "$steady_y")
  echo "| RSS under load, MB (median of VmRSS samples during the measured runs) | $(mb "$steady_g") | $(mb "$steady_y") | ${rr}x | <= 1.2x: $(at_most "$rr" 1.2) |"
  echo "\"RSS under load\" $rr" >"$work/chart-process.dat"
  rr=$(ratio "$hwm_gateway" "$hwm_yarp")
  echo "| peak RSS, MB (VmHWM after the last run) | $(mb "$hwm_gateway") | $(mb "$hwm_yarp") | ${rr}x | <= 1.2x: $(at_most "$rr" 1.2) |"
  echo "\"peak RSS\" $rr" >>"$work/chart-process.dat"
  rr=$(ratio "$s_g" "$s_y")
  echo "| start to first answer, ms (median of $starts starts) | $(fixed "$s_g" 0) | $(fixed "$s_y" 0) | ${rr}x | <= 1.2x: $(at_most "$rr" 1.2) |"
  echo "\"start to first answer\" $rr" >>"$work/chart-process.dat"
  local s_c
  s_c=$(median "$work/results/start-yarp-catch-all" 1)
  echo
  echo "Start to first answer of bare YARP with one catch-all route instead of the gateway's three: $(fixed "$s_c" 0) ms (the gateway's start $(ratio "$s_g" "$s_c")x that)."
}

# Every wrk run of the proxy and refresh benchmarks, for a look at the spread.
raw_runs() {
  local t
  echo "| target | requests/s per round | p99 ms per round | rps vs bare YARP of the same round |"
  echo "|---|---|---|---|"
  for t in "${targets[@]}" refresh-sqlite refresh-postgres; do
    echo "| ${label[$t]} | $(awk '{printf "%s%s", (NR > 1 ? ", " : ""), int($1)}' "$work/results/$t") |" \
      "$(awk '{printf "%s%s", (NR > 1 ? ", " : ""), $2}' "$work/results/$t") |" \
      "$([[ $t == refresh-* ]] || paste -d' ' "$work/results/$t" "$work/results/yarp" |
         awk '{printf "%s%.2f", (NR > 1 ? ", " : ""), $1 / $8}') |"
  done
  echo
  echo "Start to first answer, ms, each start in order: gateway $(paste -sd' ' "$work/results/start-gateway"); bare YARP $(paste -sd' ' "$work/results/start-yarp"); bare YARP with one catch-all route $(paste -sd' ' "$work/results/start-yarp-catch-all")."
}

cpu_model() { awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo; }
ram_gb() { awk '/^MemTotal/ {printf "%.0f", $2 / 1024 / 1024}' /proc/meminfo; }

# The commit the numbers belong to; "+ changes" when the code differs from it (the docs this script writes
# do not count).
commit_of_run() {
  local c
  c=$(git rev-parse --short HEAD)
  if [ -n "$(git status --porcelain -- . ':!docs/benchmarks.md' ':!docs/benchmarks.png')" ]; then c="$c + uncommitted changes"; fi
  echo "$c"
}

environment() {
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on commit \`$(commit_of_run)\`."
  echo
  echo "- machine: $(nproc) cores, $(cpu_model), $(ram_gb) GB RAM, $(uname -r); load average at the start: $load_at_start (the machine is shared: other work runs on the same cores)"
  echo "- .NET SDK $(dotnet --version), runtime $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ {v = $2} END {print v}') (ASP.NET Core), Yarp.ReverseProxy $yarp_version, $("$(nginx_bin)" -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -n 1 | awk '{print $1 " " $2}'), PostgreSQL $pg_version"
  echo "- wrk -t1 -c$connections, ${seconds} s runs after a ${seconds} s warm-up per target, $rounds interleaved rounds, medians; refresh: $refresh_clients clients (wrk -t$refresh_clients -c$refresh_clients, bench/refresh.lua); $starts starts per process for start to first answer"
}

draw_chart() { # png
  gnuplot <<GNUPLOT
set terminal pngcairo size 1300,520 font "sans,10" noenhanced
set output "$1"
set multiplot layout 1,2 title "SessionGateway benchmark, $(date -u +%Y-%m-%d), commit $(commit_of_run) (ratios to bare YARP, same run)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set xtics rotate by -20 left
set key below
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
set title "requests/s and p99 latency"
plot "$work/chart-proxy.dat" using 2:xtic(1) title "requests/s vs bare YARP (higher is better)" lc rgb "#4878d0", \
     "" using 3 title "p99 vs bare YARP (lower is better)" lc rgb "#ee854a", \
     "" using (\$0 - 0.17):2:(sprintf("%.2f", \$2)) with labels font "sans,8" offset 0,0.7 notitle, \
     "" using (\$0 + 0.17):3:(sprintf("%.2f", \$3)) with labels font "sans,8" offset 0,0.7 notitle
unset arrow
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
set arrow from graph 0, first 1.2 to graph 1, first 1.2 nohead dt 2 lw 2 lc rgb "#d62728"
set title "gateway vs bare YARP (goal: at most 1.2x, red line)"
set yrange [0:$(awk '{if ($NF * 1.15 > m) m = $NF * 1.15} END {print (m > 1.5 ? m : 1.5)}' "$work/chart-process.dat")]
plot "$work/chart-process.dat" using 2:xtic(1) title "gateway / bare YARP (lower is better)" lc rgb "#6acc64", \
     "" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.7 notitle
unset multiplot
GNUPLOT
}

# Rewrites docs/benchmarks.md between the markers, keeping everything else (the hand-written parts).
write_docs() { # generated-markdown-file
  local doc=docs/benchmarks.md
  if ! grep -q '^<!-- bench:begin -->$' "$doc" || ! grep -q '^<!-- bench:end -->$' "$doc"; then
    die "$doc has no <!-- bench:begin --> / <!-- bench:end --> lines; restore them (git checkout $doc)"
  fi
  awk -v gen="$1" '
    /^<!-- bench:begin -->$/ {print; while ((getline line < gen) > 0) print line; skip = 1; next}
    /^<!-- bench:end -->$/ {skip = 0}
    !skip {print}' "$doc" >"$work/benchmarks.md"
  cp "$work/benchmarks.md" "$doc"
}

# --only start: the upstream, one gateway start that creates the session database and signs in (so the timed
# starts open a database that has a session, as the full run's do), then the start benchmark alone.
start_only() {
  upstream_port=$(free_port); gateway_port=$(free_port)
  write_upstream_conf "$upstream_port"
  write_gateway_conf "$gateway_port" "$upstream_port"
  start_nginx upstream; upstream_pid=$started
  wait_ready "http://127.0.0.1:$upstream_port/app/page" "$work/upstream/error.log"
  start_gateway "$gateway_port" "$work/gateway.log"; gateway_pid=$started
  yarp_pid=""
  declare -gA url=([upstream]="http://127.0.0.1:$upstream_port/app/page" [gateway-session]="http://127.0.0.1:$gateway_port/app/page")
  wait_ready "http://127.0.0.1:$gateway_port/public/page" "$work/gateway.log"
  sign_in
  startup_benchmark
  local s_g s_y
  s_g=$(median "$work/results/start-gateway" 1); s_y=$(median "$work/results/start-yarp" 1)
  echo "start to first answer, ms (median of $starts starts): gateway $(fixed "$s_g" 0), bare YARP $(fixed "$s_y" 0), ratio $(ratio "$s_g" "$s_y")x; bare YARP with one catch-all route $(fixed "$(median "$work/results/start-yarp-catch-all" 1)" 0)"
}

# --- Main --------------------------------------------------------------------------------------------------

main() {
  load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
  clk_tck=$(getconf CLK_TCK)
  install_tools
  work=$(mktemp -d /tmp/sg-bench-XXXXXX)
  # The Docker image's layout: proxy.yaml (watched for edits) and the KEK in a folder of their own, databases in another.
  mkdir -p "$work/results" "$work/raw" "$work/config" "$work/data"
  build
  if [ "$only" = start ]; then
    log "temporary folder $work; start to first answer only"
    start_only
    return 0
  fi
  if [ "$only" = proxy ]; then
    log "temporary folder $work; requests/s only, $rounds round(s) of ${seconds} s runs"
    start_servers
    sign_in
    proxy_benchmark
    echo
    report_proxy
    return 0
  fi
  log "temporary folder $work; $rounds round(s) of ${seconds} s runs"
  start_servers
  sign_in
  proxy_benchmark
  stop "$nginx_pid"   # the upstream stays: the start and refresh benchmarks go through it
  stop "$nginx_auth_pid"; stop "$fa_gateway_pid"
  startup_benchmark
  refresh_benchmark

  report >"$work/tables.md"
  {
    environment
    echo
    cat "$work/tables.md"
    echo
    echo "![Ratios to bare YARP](benchmarks.png)"
    echo
    echo "<details><summary>Every run</summary>"
    echo
    raw_runs
    echo
    echo "</details>"
  } >"$work/generated.md"
  echo
  environment
  echo
  cat "$work/tables.md"
  echo
  if grep -q INVALID "$work/tables.md"; then
    echo "Invalid run: some answers were not 2xx (see the raw wrk output with BENCH_KEEP=1); docs left unchanged." >&2
    exit 1
  fi
  if [ "$write_docs" -eq 1 ]; then
    write_docs "$work/generated.md"
    draw_chart docs/benchmarks.png
    log "wrote docs/benchmarks.md and docs/benchmarks.png"
  fi
}

main

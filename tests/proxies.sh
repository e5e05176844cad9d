#!/usr/bin/env bash
# The shipped forward-auth proxy configurations (deploy/nginx, deploy/caddy) for tests and the benchmark: installs
# the proxies, renders a shipped configuration with loopback ports, and runs the proxy in the foreground. One
# place, so the C# tests, the browser suite and bench/run.sh all run exactly the files users copy.
#
#   tests/proxies.sh install                      installs Debian's nginx, its headers-more module and caddy when
#                                                 missing (apt-get; root or sudo)
#   tests/proxies.sh missing KIND                 prints why KIND (nginx or caddy) cannot run here and exits 1;
#                                                 prints nothing and exits 0 when it can
#   tests/proxies.sh render KIND DIR LISTEN GATEWAY APP
#                                                 writes the shipped configuration into DIR: the proxy listens on
#                                                 127.0.0.1:LISTEN, asks the gateway on 127.0.0.1:GATEWAY and
#                                                 forwards to the app on 127.0.0.1:APP (nginx: NGINX_WORKERS
#                                                 worker processes, 1 by default)
#   tests/proxies.sh run KIND DIR                 runs the proxy on DIR's configuration in the foreground (exec:
#                                                 the caller's child is the proxy itself; kill it to stop it)
#
# Rendering replaces the shipped listen address, gateway address and app address; each must be found exactly
# where the shipped file has it, so an edit that moves one fails here instead of testing another configuration.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
headers_more=/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so

nginx_bin() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }
caddy_bin() { command -v caddy 2>/dev/null || true; }

die() { echo "proxies.sh: $*" >&2; exit 2; }

# Replaces text $2 with $3 in file $1, failing unless $2 occurs exactly $4 times.
substitute() {
  local file=$1 from=$2 to=$3 times=$4 found
  found=$(grep -cF -- "$from" "$file" || true)
  [ "$found" = "$times" ] || die "$file: expected '$from' $times time(s), found $found: the shipped file changed, update tests/proxies.sh"
  FROM=$from TO=$to perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$file"
}

missing() {
  case "$1" in
    nginx)
      [ -n "$(nginx_bin)" ] || { echo "nginx is not installed (tests/proxies.sh install, or apt-get install nginx)"; return 1; }
      [ -f "$headers_more" ] || { echo "nginx's headers-more module is not installed (apt-get install libnginx-mod-http-headers-more-filter)"; return 1; }
      ;;
    caddy)
      [ -n "$(caddy_bin)" ] || { echo "caddy is not installed (tests/proxies.sh install, or apt-get install caddy)"; return 1; }
      ;;
    *) die "unknown proxy '$1' (nginx or caddy)" ;;
  esac
}

install() {
  local packages=() sudo=""
  [ -n "$(nginx_bin)" ] || packages+=(nginx)
  [ -f "$headers_more" ] || packages+=(libnginx-mod-http-headers-more-filter)
  [ -n "$(caddy_bin)" ] || packages+=(caddy)
  [ ${#packages[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "proxies.sh: installing ${packages[*]} (Debian packages)"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${packages[@]}" >/dev/null
}

render() {
  local kind=$1 dir=$2 listen=$3 gateway=$4 app=$5
  mkdir -p "$dir"
  case "$kind" in
    nginx)
      mkdir -p "$dir/snippets" "$dir/tmp"
      cp "$root/deploy/nginx/session-gateway-auth.conf" "$root/deploy/nginx/session-gateway-proxy.conf" "$dir/snippets/"
      cp "$root/deploy/nginx/session-gateway.conf" "$dir/session-gateway.conf"
      substitute "$dir/session-gateway.conf" "listen 80;" "listen 127.0.0.1:$listen;" 1
      substitute "$dir/session-gateway.conf" "server 127.0.0.1:8080;" "server 127.0.0.1:$gateway;" 1
      substitute "$dir/session-gateway.conf" "server 127.0.0.1:5080;" "server 127.0.0.1:$app;" 1
      # What Debian's /etc/nginx/nginx.conf and modules-enabled/ give the shipped server block, with every path
      # inside DIR: the headers-more module, one worker, temp files and logs here.
      cat >"$dir/nginx.conf" <<CONF
load_module $headers_more;
worker_processes ${NGINX_WORKERS:-1};
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
  include session-gateway.conf;
}
CONF
      ;;
    caddy)
      mkdir -p "$dir/home"
      cp "$root/deploy/caddy/Caddyfile" "$dir/Caddyfile.shipped"
      substitute "$dir/Caddyfile.shipped" "app.example.com {" "http://:$listen {
	bind 127.0.0.1" 1
      substitute "$dir/Caddyfile.shipped" "127.0.0.1:8080" "127.0.0.1:$gateway" 2
      substitute "$dir/Caddyfile.shipped" "127.0.0.1:5080" "127.0.0.1:$app" 1
      # Global options: no admin endpoint (a fixed port), plain http on loopback, no access log.
      { printf '{\n\tadmin off\n\tauto_https off\n}\n\n'; cat "$dir/Caddyfile.shipped"; } >"$dir/Caddyfile"
      rm "$dir/Caddyfile.shipped"
      ;;
    *) die "unknown proxy '$kind' (nginx or caddy)" ;;
  esac
}

run() {
  local kind=$1 dir
  dir=$(cd "$2" && pwd)
  case "$kind" in
    nginx) exec "$(nginx_bin)" -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" ;;
    caddy)
      # Caddy keeps its state under HOME/XDG folders: inside DIR, never the user's.
      cd "$dir"
      exec env HOME="$dir/home" XDG_DATA_HOME="$dir/home/data" XDG_CONFIG_HOME="$dir/home/config" \
        "$(caddy_bin)" run --config "$dir/Caddyfile" --adapter caddyfile ;;
    *) die "unknown proxy '$kind' (nginx or caddy)" ;;
  esac
}

case "${1:-}" in
  install) install ;;
  missing) [ $# -eq 2 ] || die "usage: missing KIND"; missing "$2" ;;
  render) [ $# -eq 6 ] || die "usage: render KIND DIR LISTEN GATEWAY APP"; render "$2" "$3" "$4" "$5" "$6" ;;
  run) [ $# -eq 3 ] || die "usage: run KIND DIR"; run "$2" "$3" ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

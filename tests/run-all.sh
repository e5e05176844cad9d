#!/usr/bin/env bash
# Runs every test of the repository: the .NET unit and integration suites, then the real-browser suite.
# Brings what the tests need when it is missing (Debian's chromium, nginx, caddy and apache2-utils, the npm packages; node, npm
# and the PostgreSQL server from Debian when absent), so it works on a fresh machine that has only the .NET SDK.
# Used as is by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/.artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "run-all: the .NET SDK (dotnet) is required" >&2
  exit 1
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "run-all: installing node and npm (Debian packages)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

# htpasswd (Debian's apache2-utils) when missing: the users-file tests verify hashes it makes now
# (UsersFileSignInTests.HashMadeNowByHtpasswd_Verifies, tests/browser/users.test.mjs), so CI never skips them.
if ! command -v htpasswd >/dev/null 2>&1; then
  echo "run-all: installing htpasswd (Debian's apache2-utils)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq apache2-utils >/dev/null
fi

# nginx (with its headers-more module) and Caddy from Debian when missing: the forward-auth tests run the shipped
# deploy/nginx and deploy/caddy configurations for real (ShippedProxyTests, forward-auth.test.mjs), so CI never skips them.
bash tests/proxies.sh install

# One throwaway PostgreSQL server for the whole run (installed from Debian when missing), found by the .NET
# tests through these two variables; stopped and deleted on exit, whatever the outcome.
pg_dir=$(mktemp -d)
trap 'bash "$root/tests/postgres.sh" remove "$pg_dir" >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_port=$(bash tests/postgres.sh free-port)
bash tests/postgres.sh start "$pg_dir" "$pg_port" || {
  echo "run-all: could not start the test PostgreSQL server (see above)" >&2
  exit 1
}
SESSIONGATEWAY_TEST_POSTGRES=$(bash tests/postgres.sh connstr "$pg_port")
SESSIONGATEWAY_TEST_PGSCRIPT="$root/tests/postgres.sh"
export SESSIONGATEWAY_TEST_POSTGRES SESSIONGATEWAY_TEST_PGSCRIPT
echo "run-all: test PostgreSQL on 127.0.0.1:$pg_port (cluster in $pg_dir)"

status=0
# The Kubernetes manifests render with kubectl kustomize (skipped, with the reason, where no able kubectl is installed).
bash tests/kubernetes.sh || status=1
dotnet build SessionGateway.sln -c Release -nologo -clp:ErrorsOnly || exit 1
for project in tests/*Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --logger "console;verbosity=minimal" || status=$?
done

# One closing line for the whole run, summed over every test assembly.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); p=${p:-0}
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=${f:-0}
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); t=${t:-0}
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters"); e=${e:-0}
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + t - e))
done
echo "dotnet: $passed passed, $failed failed, $skipped skipped"

# The real-browser suite (headless Chromium, supertokens-website); it installs Chromium and npm packages itself.
browser_log="$results/browser.log"
bash tests/browser/run.sh 2>&1 | tee "$browser_log" || status=1
b_pass=$(sed -n 's/^[^a-z]*pass \([0-9][0-9]*\)$/\1/p' "$browser_log" | tail -n 1); b_pass=${b_pass:-0}
b_fail=$(sed -n 's/^[^a-z]*fail \([0-9][0-9]*\)$/\1/p' "$browser_log" | tail -n 1); b_fail=${b_fail:-0}
b_skip=$(sed -n 's/^[^a-z]*skipped \([0-9][0-9]*\)$/\1/p' "$browser_log" | tail -n 1); b_skip=${b_skip:-0}
echo "browser: $b_pass passed, $b_fail failed, $b_skip skipped"
[ "$b_pass" -gt 0 ] || { echo "run-all: the browser suite ran no test" >&2; status=1; }

passed=$((passed + b_pass)); failed=$((failed + b_fail)); skipped=$((skipped + b_skip))
if [ "$passed" -eq 0 ]; then
  echo "run-all: no test ran" >&2
  status=1
fi
echo "all: $passed passed, $failed failed, $skipped skipped"
exit $status

#!/usr/bin/env bash
# Real-browser end-to-end tests: headless Chromium + the supertokens-website SDK against SessionGateway.
# Brings what it needs when missing (Debian's chromium, nginx, caddy and apache2-utils, the npm packages), builds the gateway (Release),
# bundles the page, runs the tests with node's test runner and exits with its code.
# Needs: the .NET SDK, node (>= 20) and npm; root or sudo only if chromium, nginx, caddy or apache2-utils must be installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

for tool in dotnet node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "browser tests: '$tool' is required" >&2; exit 1; }
done

chromium_bin=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium_bin" ]; then
  echo "browser tests: installing Debian's chromium package"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# htpasswd (Debian's apache2-utils) for users.test.mjs, which signs in with a hash it makes.
if ! command -v htpasswd >/dev/null 2>&1; then
  echo "browser tests: installing Debian's apache2-utils (htpasswd)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq apache2-utils >/dev/null
fi

# nginx (with its headers-more module) and Caddy for forward-auth.test.mjs, from Debian when missing.
bash "$root/tests/proxies.sh" install

cd "$here"
# npm ci when node_modules is missing or was installed from another package-lock.json.
stamp=node_modules/.installed-from-lock
if [ ! -d node_modules ] || ! cmp -s package-lock.json "$stamp"; then
  echo "browser tests: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

echo "browser tests: building the gateway (Release)"
dotnet build "$root/src/SessionGateway" -c Release -nologo -v quiet -clp:ErrorsOnly
# devices.test.mjs runs the demo itself (the gateway and the demo's legacy app in one process).
dotnet build "$root/src/SessionGateway.Demo" -c Release -nologo -v quiet -clp:ErrorsOnly

echo "browser tests: bundling page.js"
node_modules/.bin/esbuild page.js --bundle --format=iife --target=es2020 --outfile=bundle.js --log-level=warning

cd "$root"
status=0
# One node --test run for every file, so its closing pass/fail lines count them all (run-all.sh reads them).
# --test-concurrency=1: one file after the other (each starts its own gateway, and Chromium; two cores).
# assertion.test.mjs needs no browser: the signed identity assertion verified with jose.
node --test --test-concurrency=1 --test-reporter=spec tests/browser/session.test.mjs tests/browser/forward-auth.test.mjs tests/browser/assertion.test.mjs tests/browser/users.test.mjs tests/browser/form-login.test.mjs tests/browser/oidc.test.mjs tests/browser/devices.test.mjs || status=$?
exit $status

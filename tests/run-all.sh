#!/usr/bin/env bash
# Runs every test of the repository. First brings what the tests need when it is missing, so it works on a
# fresh machine that has only the .NET SDK. Used as is by .ci/run.
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

status=0
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
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "run-all: no test ran" >&2
  status=1
fi
echo "dotnet: $passed passed, $failed failed, $skipped skipped"
exit $status

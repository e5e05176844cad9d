#!/usr/bin/env bash
# BenchmarkDotNet micro-benchmarks of the gateway's hot pieces; what they measure: bench/Micro/README.md.
#   bash bench/micro.sh                          every benchmark, BenchmarkDotNet's default job (minutes each)
#   bash bench/micro.sh --job short              every benchmark, a quick look (3 iterations)
#   bash bench/micro.sh --filter '*Cookie*' --job short
#   bash bench/micro.sh --list flat              the names, to filter on
# Other BenchmarkDotNet options pass through. Reports: bench/Micro/BenchmarkDotNet.Artifacts/results/.
set -euo pipefail
cd "$(dirname "$0")/Micro"
dotnet build -c Release -nologo -clp:ErrorsOnly >/dev/null
selects=no
for arg in "$@"; do
  case $arg in
    -f|--filter|--filter=*|--list|--list=*|--info|-h|--help|--version) selects=yes ;;
  esac
done
[ "$selects" = yes ] || set -- --filter '*' "$@"
exec dotnet run -c Release --no-build -- "$@"

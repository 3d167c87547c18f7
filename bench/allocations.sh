#!/usr/bin/env bash
# What one scenario allocates, and where: runs the bench on one scenario (--only), records 12 s of the service with
# dotnet-trace's gc-verbose profile once it is warm, and prints the allocation report (bench/AllocReport).
# Needs dotnet-trace: dotnet tool install -g dotnet-trace. Usage: bench/allocations.sh SCENARIO [PATIENTS [BENCH OPTIONS...]],
# for example bench/allocations.sh lastn, or bench/allocations.sh "GET Patient" 1000 --reference
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?"usage: bench/allocations.sh SCENARIO [PATIENTS], for example bench/allocations.sh lastn"}
patients=${2:-1000}
shift $(( $# < 2 ? $# : 2 ))
out=$(mktemp -d)
trace_tool=$(command -v dotnet-trace || echo "$HOME/.dotnet/tools/dotnet-trace")
dotnet run -c Release --project bench/Wmtty.Bench -- --patients "$patients" --only "$scenario" --import-runs 1 \
  --floor-responses 0 --seconds 40 --warm-all 10 "$@" >"$out/bench.log" 2>&1 &
bench=$!
pid=""
for _ in $(seq 1 300); do
  pid=$(grep -o 'pid [0-9]*' "$out/bench.log" | head -1 | cut -d' ' -f2 || true)
  [ -n "$pid" ] && break
  sleep 1
done
[ -n "$pid" ] || { echo "the service did not start; see $out/bench.log" >&2; exit 1; }
sleep 25 # the import, the 10 s of all scenarios and the scenario's own warm-up
"$trace_tool" collect -p "$pid" --profile gc-verbose --duration 00:00:00:12 -o "$out/service.nettrace" >/dev/null
wait "$bench"
grep -E '^\| ' "$out/bench.log" | head -3
dotnet run -c Release --project bench/AllocReport -- "$out/service.nettrace" 30
echo "trace and log kept in $out"

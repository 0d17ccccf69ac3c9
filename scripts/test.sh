#!/usr/bin/env bash
# `npm test`: prepare the machine (scripts/setup.sh), check that PostgreSQL and Redis answer, then type-check,
# lint and run every vitest project (unit, integration, browser). Every step runs even when an earlier one
# fails, so one run shows every problem; the exit status is non-zero when any step failed.
# Arguments are passed to vitest (for example: npm test -- --project unit).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGUS_LOG_TAG='argus test'
cd "$ARGUS_ROOT"

bash scripts/setup.sh
node scripts/check-services.mjs || die "the integration tests need PostgreSQL and Redis (see above); start them and run again."

failed=()
step() {
  local name="$1"
  shift
  say "$name: $*"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  if [[ $rc == 0 ]]; then
    say "$name passed ($((SECONDS - start))s)"
  else
    say "$name FAILED (exit $rc, $((SECONDS - start))s)"
    failed+=("$name")
  fi
}

step typecheck npx tsc -p tsconfig.json
step lint npm run --silent lint
rm -f test-results/vitest.json test-results/retries.json
step tests npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json --reporter=./scripts/vitest-retries-reporter.mjs "$@"
# One plain closing line that any CI reads the same way: "tests: N passed, N failed[, N skipped]".
node scripts/test-summary.mjs test-results/vitest.json || failed+=("test summary")

if ((${#failed[@]})); then
  say "FAILED: ${failed[*]} ($(elapsed))"
  exit 1
fi
say "all passed: typecheck, lint, tests ($(elapsed))"

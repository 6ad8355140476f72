#!/usr/bin/env bash
# `npm run test:pg`: the whole vitest suite (unit, db, e2e) against PostgreSQL. Uses TEST_DATABASE_URL when it
# is set (each test file and each e2e server gets its own database on that server); otherwise starts a
# throwaway server for the run with .ci/with-postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  exec vitest run -c tests/vitest.config.ts "$@"
fi
exec .ci/with-postgres.sh vitest run -c tests/vitest.config.ts "$@"

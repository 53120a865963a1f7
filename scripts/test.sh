#!/usr/bin/env bash
# The test command (npm test): build, type-check, lint, then every test on SQLite and a real PostgreSQL.
# Starts a throwaway PostgreSQL server unless TIDEMARK_TEST_PG already names one.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TIDEMARK_TEST_PG:-}" ]; then
  pgdir=$(mktemp -d /tmp/tidemark-pg.XXXXXX)
  port=$((20000 + RANDOM % 20000))
  TIDEMARK_TEST_PG=$(bash scripts/pg-throwaway.sh start "$pgdir" "$port")
  export TIDEMARK_TEST_PG
  trap 'bash scripts/pg-throwaway.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
fi
export TIDEMARK_LOG_LEVEL=${TIDEMARK_LOG_LEVEL:-warn}
# A failed online sync writes the file route into the outbox: keep the tests' out of the work tree.
TIDEMARK_OUTBOX=$(mktemp -d /tmp/tidemark-outbox.XXXXXX)
export TIDEMARK_OUTBOX
# The CLI and the service the tests spawn run the built JavaScript (dist/): never a stale one.
echo "== build (npm run build)"
node scripts/build.mjs
echo "== type-check (tsc --noEmit)"
npx tsc --noEmit
echo "== lint (eslint)"
npx eslint .
echo "== tests (SQLite and PostgreSQL at ${TIDEMARK_TEST_PG})"
mapfile -t files < <(find test conformance -name '*.test.ts' | sort)
node --import tsx --test --test-timeout=600000 "${files[@]}"

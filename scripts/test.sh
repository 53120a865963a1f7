#!/usr/bin/env bash
# The test command (npm test): build, type-check, lint, then every test on SQLite and a real PostgreSQL.
# Starts a throwaway PostgreSQL server unless TIDEMARK_TEST_PG already names one.
#   --future   the tests again with the clock moved five years ahead (faketime), so that no test,
#              sample or fixture can depend on today's date (npm run test:future)
set -euo pipefail
cd "$(dirname "$0")/.."
future=0
[ "${1:-}" = --future ] && future=1
# What this run made outside the work tree goes when it ends, passed or failed.
pgdir=''
outbox=''
cleanup() {
  if [ -n "$pgdir" ]; then bash scripts/pg-throwaway.sh stop "$pgdir"; rm -rf "$pgdir"; fi
  if [ -n "$outbox" ]; then rm -rf "$outbox"; fi
}
trap cleanup EXIT
if [ -z "${TIDEMARK_TEST_PG:-}" ]; then
  pgdir=$(mktemp -d /tmp/tidemark-pg.XXXXXX)
  port=$((20000 + RANDOM % 20000))
  TIDEMARK_TEST_PG=$(bash scripts/pg-throwaway.sh start "$pgdir" "$port")
  export TIDEMARK_TEST_PG
fi
export TIDEMARK_LOG_LEVEL=${TIDEMARK_LOG_LEVEL:-warn}
# Services the tests start do not warm the feeds in the background (~4 s of CPU each; the
# warm-up is measured by bench/first-feed.ts).
export TIDEMARK_WARM_FEEDS=${TIDEMARK_WARM_FEEDS:-off}
# A failed online sync writes the file route into the outbox: keep the tests' out of the work tree.
outbox=$(mktemp -d /tmp/tidemark-outbox.XXXXXX)
export TIDEMARK_OUTBOX=$outbox
# The CLI and the service the tests spawn run the built JavaScript (dist/): never a stale one.
echo "== build (npm run build)"
node scripts/build.mjs
mapfile -t files < <(find test conformance -name '*.test.ts' | sort)
if [ "$future" = 1 ]; then
  command -v faketime >/dev/null || { echo "faketime not found (apt-get install faketime)" >&2; exit 1; }
  # Every process the tests start (services, CLI, Eden) inherits the moved clock; the PostgreSQL
  # server above keeps the real one, as a remote database would.
  echo "== tests with the clock five years ahead ($(faketime -f +5y date -u +%F))"
  faketime -f +5y node --import tsx --test --test-timeout=600000 "${files[@]}"
  exit
fi
echo "== type-check (tsc --noEmit)"
npx tsc --noEmit
echo "== lint (eslint)"
npx eslint .
echo "== tests (SQLite and PostgreSQL at ${TIDEMARK_TEST_PG})"
node --import tsx --test --test-timeout=600000 "${files[@]}"

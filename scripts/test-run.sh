#!/usr/bin/env bash
# The suite (what `npm test` runs after lint and typecheck): vitest with TMPDIR a fresh folder,
# removed when it ends. Vitest itself, Chromium, redis-server, nginx and every gateway the tests
# start keep their temporary files there, so a run leaves nothing in /tmp, whatever it did or failed
# to clean (test/global-setup.ts does the same when vitest is started directly).
dir=$(mktemp -d -t spaceport-tests-XXXXXX)
trap 'rm -rf "$dir"' EXIT
TMPDIR="$dir" SPACEPORT_TEST_TMP="$dir" npx vitest run "$@"

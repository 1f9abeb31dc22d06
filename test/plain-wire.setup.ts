// The "plain wire" project (vitest.config.ts): every gateway these tests start — in this process
// (test/helpers/gateway.ts) or as a child process (`spaceport serve` reads it) — runs on the plain wire.
process.env.SPACEPORT_WIRE = 'plain';

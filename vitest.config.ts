import { defineConfig } from 'vitest/config';

/** The tests that speak to the gateway's WebSocket endpoints: they run on both wires (src/wire/). */
const ENDPOINT_TESTS = [
  'test/integration/job-flow.test.ts',
  'test/integration/files.test.ts',
  'test/integration/bad-input.test.ts',
  'test/integration/exact-edges.test.ts',
  'test/integration/edge-limits.test.ts',
  'test/integration/hostile-json.test.ts',
  'test/integration/live-media.test.ts',
  'test/integration/live-media-ring.test.ts',
  'test/integration/resume.test.ts',
  'test/integration/websocket-spaces.test.ts',
  'test/integration/sdk.test.ts',
  'test/dialects/*.test.ts',
];

export default defineConfig({
  test: {
    // One temporary folder per run, removed at its end (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers and processes; two files at a time fits 2 cores.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      // The same endpoint tests on the plain wire (ws's public API only), so the fast one is held to it.
      // (Not the COLMAP reconstruction: half a minute of feature matching, whichever wire carries its images.)
      { extends: true, test: { name: 'plain wire', include: ENDPOINT_TESTS, exclude: ['test/dialects/reconstruct-colmap.test.ts'], setupFiles: ['test/plain-wire.setup.ts'] } },
    ],
  },
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temporary file and folder a run makes — data directories, journals, sockets of spawned
 * gateways — goes under one folder of its own (TMPDIR, which the test files and every process
 * they start inherit), removed when the run ends, whatever each test did or failed to clean.
 * Each test project runs this too: the first makes the folder, the others use it (nested folders
 * would make Chromium's socket path too long).
 */
export default function setup(): () => void {
  if (process.env.SPACEPORT_TEST_TMP) return () => {};
  const root = mkdtempSync(join(tmpdir(), 'spaceport-tests-'));
  process.env.TMPDIR = root;
  process.env.SPACEPORT_TEST_TMP = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
    delete process.env.SPACEPORT_TEST_TMP;
  };
}

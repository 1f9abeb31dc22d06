import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEngine } from '../../src/engine/embedded/embedded-engine.ts';
import { runEngineContract } from '../engine-contract.ts';

runEngineContract('embedded (memory + SQLite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-engine-'));
  return { engine: createEmbeddedEngine({ dataDir }), reopen: async () => createEmbeddedEngine({ dataDir }) };
});

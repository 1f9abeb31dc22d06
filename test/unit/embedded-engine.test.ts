import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEngine } from '../../src/engine/embedded/embedded-engine.ts';
import { describe, expect, it } from 'vitest';
import { runEngineContract } from '../engine-contract.ts';

runEngineContract('embedded (memory + SQLite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-engine-'));
  return { engine: createEmbeddedEngine({ dataDir }), reopen: async () => createEmbeddedEngine({ dataDir }) };
});

describe('SQLite event chunks', () => {
  it('folds a data directory from before chunks (one row per event) into chunks on open', async () => {
    const { default: Database } = await import('libsql');
    const { SqliteStore } = await import('../../src/engine/embedded/sqlite-store.ts');
    const file = join(mkdtempSync(join(tmpdir(), 'spaceport-migrate-')), 'spaceport.db');
    const old = new Database(file);
    old.exec('CREATE TABLE events (job_id TEXT NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (job_id, seq)) WITHOUT ROWID');
    old.exec(`INSERT INTO events VALUES ('job_a', 1, '{"type":"queued"}'), ('job_a', 2, '{"type":"token"}')`);
    old.close();
    const store = new SqliteStore(file);
    expect(store.eventsAfter('job_a', 0)).toEqual([{ seq: 1, line: '{"type":"queued"}' }, { seq: 2, line: '{"type":"token"}' }]);
    // Trimming inside a chunk keeps exactly the later events.
    store.transaction(() => store.putChunk('job_b', 1, 3, 'a\nb\nc'));
    store.trimEvents('job_b', 3);
    expect(store.eventsAfter('job_b', 0)).toEqual([{ seq: 3, line: 'c' }]);
    expect(store.firstSeq('job_b')).toBe(3);
    store.close();
  });
});


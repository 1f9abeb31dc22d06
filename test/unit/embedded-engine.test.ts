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
    store.transaction(() => store.putEvents([['job_b', 1, 'a'], ['job_b', 2, 'b'], ['job_b', 3, 'c']]));
    store.trimEvents('job_b', 3);
    expect(store.eventsAfter('job_b', 0)).toEqual([{ seq: 3, line: 'c' }]);
    expect(store.firstSeq('job_b')).toBe(3);
    store.close();
  });
});

describe('the WAL checkpointer process', () => {
  it('folds commits into the database file from its own process, and ends with the engine', async () => {
    const { execSync } = await import('node:child_process');
    const { copyFileSync } = await import('node:fs');
    const { default: Database } = await import('libsql');
    const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-checkpoint-'));
    const engine = createEmbeddedEngine({ dataDir, checkpointIntervalMs: 30 });
    const running = () => execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('checkpointer-process.mjs') && l.includes(dataDir)).length;
    expect(running()).toBe(1);
    for (let i = 0; i < 50; i++) {
      await engine.createSpace({ id: `sp_${i}`, name: `space-${i}`, description: '', inputs: { prompt: {} }, access: 'public', timeout_s: 60, max_attempts: 3, max_queue: 10, open_registration: false, created_at: 0 } as never);
    }
    await new Promise((r) => setTimeout(r, 300));
    // The database file alone, without its -wal: with SQLite's automatic checkpoint off in the
    // gateway, only the checkpointer can have put the spaces there.
    const copy = join(mkdtempSync(join(tmpdir(), 'spaceport-checkpoint-copy-')), 'copy.db');
    copyFileSync(join(dataDir, 'spaceport.db'), copy);
    const db = new Database(copy);
    expect((db.prepare('SELECT COUNT(*) AS n FROM spaces').get() as { n: number }).n).toBe(50);
    db.close();
    await engine.close();
    expect(running()).toBe(0);
  });
});

describe('a checkpointer that cannot start', () => {
  it('puts SQLite’s own checkpoint back once, and stopping it does not hang', async () => {
    const { startWalCheckpointer } = await import('../../src/engine/embedded/wal-checkpointer.ts');
    const real = process.execPath;
    let lost = 0;
    Object.defineProperty(process, 'execPath', { value: join(tmpdir(), 'no-such-node'), configurable: true });
    let checkpointer: ReturnType<typeof startWalCheckpointer>;
    try {
      checkpointer = startWalCheckpointer(join(tmpdir(), 'unused.db'), 50, () => lost++);
    } finally {
      Object.defineProperty(process, 'execPath', { value: real, configurable: true });
    }
    await new Promise((r) => setTimeout(r, 100));
    await checkpointer.stop();
    expect(lost).toBe(1);
  });
});

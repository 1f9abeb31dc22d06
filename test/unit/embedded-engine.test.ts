import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEngine } from '../../src/engine/embedded/embedded-engine.ts';
import { describe, expect, it } from 'vitest';
import { runEngineContract } from '../contract/engine-contract.ts';
import { job, queued, ref, space } from '../contract/harness.ts';

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
    expect(store.eventsAfter('job_a', 0)).toEqual([
      { seq: 1, line: '{"type":"queued"}' },
      { seq: 2, line: '{"type":"token"}' },
    ]);
    // Trimming inside a chunk keeps exactly the later events.
    store.transaction(() => store.putChunk('job_b', 1, 3, 'a\nb\nc'));
    store.trimEvents('job_b', 3);
    expect(store.eventsAfter('job_b', 0)).toEqual([{ seq: 3, line: 'c' }]);
    expect(store.firstSeq('job_b')).toBe(3);
    store.close();
  });
});

describe('a running job’s event log past its memory', () => {
  it('lets go of the oldest events once journaled, and a resume from before them reads them back from SQLite', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-shed-'));
    const engine = createEmbeddedEngine({ dataDir, maxEventBytesPerJob: 256 * 1024 });
    try {
      const s = space('shed', { max_queue: 10 });
      await engine.createSpace(s);
      const j = job(s);
      await engine.submitJob(j, 10, queued);
      await engine.claimJob([s.id], 'w', 60_000);
      const holder = { workerId: 'w', attempt: 1 };
      const text = (i: number) => `${i}:${'x'.repeat(32 * 1024)}`;
      for (let i = 0; i < 64; i++) engine.appendEvent(ref(j), { type: 'token', text: text(i) }, holder); // 2 MiB in all
      // The newest are held: answered at once, from memory.
      const recent = engine.readEvents(j.id, 63);
      expect(recent).not.toBeInstanceOf(Promise);
      // The oldest were let go of: read back from SQLite, every one once, in order.
      const all = engine.readEvents(j.id, 0);
      expect(all).toBeInstanceOf(Promise);
      const range = (await all)!;
      expect(range.firstSeq).toBe(1);
      expect(range.lines.map((l) => JSON.parse(l).seq)).toEqual(Array.from({ length: 65 }, (_, i) => i + 1));
      expect(range.lines.slice(1).map((l) => JSON.parse(l).text)).toEqual(Array.from({ length: 64 }, (_, i) => text(i)));
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a start after a crash (no clean stop)', () => {
  it('begins a new epoch for each waiting job, with an event saying so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-crash-'));
    const crashed = createEmbeddedEngine({ dataDir, flushIntervalMs: 60_000 });
    const s = space('crash', { max_queue: 10 });
    await crashed.createSpace(s);
    const [claimed, waiting] = [job(s), job(s)];
    await crashed.submitJob(claimed, 10, queued);
    await crashed.submitJob(waiting, 10, queued);
    await crashed.claimJob([s.id], 'w', 60_000); // buffered: the crash loses it, the job waits again
    // The process dies: no close, so no clean-stop marker (its lock is left to a pid that is gone).
    rmSync(join(dataDir, 'lock'));
    const engine = createEmbeddedEngine({ dataDir });
    try {
      for (const [j, position] of [
        [claimed, 0],
        [waiting, 1],
      ] as const) {
        const range = (await engine.readEvents(j.id, 0))!;
        expect(range).toMatchObject({ epoch: 2, epochSeq: 2, lastSeq: 2 });
        expect(JSON.parse(range.lines[1]!)).toMatchObject({ type: 'queued', position, reason: 'gateway restarted', epoch: 2 });
      }
    } finally {
      await engine.close();
      await crashed.close().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

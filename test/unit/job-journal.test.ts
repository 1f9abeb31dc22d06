import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { eventLine } from '../../src/protocol/job-events.ts';
import type { Job } from '../../src/core/types.ts';
import { createEmbeddedEngine } from '../../src/engine/embedded/embedded-engine.ts';
import { JobJournal } from '../../src/engine/embedded/job-journal.ts';
import { jobRow } from '../../src/engine/embedded/journal-records.ts';
import { readSegment, type Segment, type SegmentWrites } from '../../src/engine/embedded/journal-segment.ts';
import { SegmentApplier } from '../../src/engine/embedded/segment-applier.ts';
import { SqliteStore } from '../../src/engine/embedded/sqlite-store.ts';
import { until } from '../helpers/latch.ts';
import { runTs } from '../helpers/processes.ts';
import { refOf } from '../../src/core/ports/jobs.ts';

const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `spaceport-${name}-`));

const job = (id: string, state: Job['state'], extra: Partial<Job> = {}): Job =>
  ({
    id,
    space_id: 'sp_1',
    space: 'echo',
    owner: { kind: 'admin', id: 'admin', name: 'admin' },
    state,
    attempt: 0,
    max_attempts: 3,
    inputs: { prompt: 'hi', files: [], options: {} },
    created_at: 1,
    deadline: 2,
    ...extra,
  }) as Job;

/** The space the store-process tests queue their jobs in (the jobs above name it as `sp_1`). */
const ECHO_SPACE = {
  id: 'sp_1',
  name: 'echo',
  description: '',
  inputs: { prompt: {} },
  access: 'public',
  timeout_s: 60,
  max_attempts: 3,
  max_queue: 100,
  open_registration: false,
  created_at: 0,
} as never;

/** A segment's chunks as [job, first seq, last seq, lines] (how they were gathered does not matter). */
const chunksOf = (w: SegmentWrites) => w.chunks.map((c) => [c.jobId, c.first, c.last, c.parts.join('\n')]);

/** Writes commits into a journal folder the way the engine does, and returns the closed segment. */
function segmentOf(dir: string, commits: Array<(j: JobJournal) => void>): string {
  return closedSegment(dir, commits).file;
}
function closedSegment(dir: string, commits: Array<(j: JobJournal) => void>): Segment {
  const journal = new JobJournal(dir);
  for (const c of commits) journal.commit(() => c(journal));
  const segment = journal.rotate()!;
  journal.close();
  return segment;
}

/** Puts event rows as the engine puts its log's runs: each stretch of one job's consecutive seqs as one run of lines. */
function putRows(j: JobJournal, rows: Array<[jobId: string, seq: number, line: string]>): void {
  for (let i = 0; i < rows.length; ) {
    const [jobId, first] = rows[i]!;
    let n = 1;
    while (i + n < rows.length && rows[i + n]![0] === jobId && rows[i + n]![1] === first + n) n++;
    j.putRun(
      jobId,
      first,
      n,
      Buffer.from(
        rows
          .slice(i, i + n)
          .map((r) => `${r[2]}\n`)
          .join(''),
      ),
    );
    i += n;
  }
}

describe('the job journal', () => {
  it('reads back whole commits only: a commit torn by a crash (no closing line) is left out', () => {
    const dir = tempDir('journal');
    const file = segmentOf(dir, [(j) => j.putJobRow(jobRow(job('job_a', 'queued'), 1)), (j) => putRows(j, [['job_a', 1, '{"seq":1}']])]);
    const whole = readSegment(readFileSync(file, 'utf8'));
    expect([...whole.jobs.keys()]).toEqual(['job_a']);
    expect(chunksOf(whole)).toEqual([['job_a', 1, 1, '{"seq":1}']]);
    // The same text with a last commit cut short, once inside a line and once before its C.
    const text = readFileSync(file, 'utf8');
    const torn = `${text}J\tjob_b\tsp_1\tqueued\t2\t1\t\t{"id":"job_b"`;
    expect([...readSegment(torn).jobs.keys()]).toEqual(['job_a']);
    expect(chunksOf(readSegment(`${text}E\tjob_a\t2\t2\n{"seq":2}\n{"seq":3}\n`))).toEqual([['job_a', 1, 1, '{"seq":1}']]);
    expect(chunksOf(readSegment(`${text}E\tjob_a\t2\t2\n{"seq":2}\n{"seq":3`))).toEqual([['job_a', 1, 1, '{"seq":1}']]);
    expect(chunksOf(readSegment(`${text}E\tjob_a\t2\t2\n{"seq":2}\n`))).toEqual([['job_a', 1, 1, '{"seq":1}']]);
    // Runs as earlier versions wrote them (one line, tab-separated) are still read.
    expect(chunksOf(readSegment(`${text}R\tjob_a\t2\t{"seq":2}\t{"seq":3}\nC\n`))).toEqual([['job_a', 1, 3, '{"seq":1}\n{"seq":2}\n{"seq":3}']]);
  });

  it("folds a segment: the last row of each job, each job's events in one chunk while their seqs run on, the highest trim — read back or kept in memory alike", () => {
    const dir = tempDir('journal');
    const { file, writes: kept } = closedSegment(dir, [
      (j) => {
        j.putJobRow(jobRow(job('job_a', 'queued'), 1));
        putRows(j, [['job_a', 1, 'a1']]);
      },
      (j) => j.putJobRow(jobRow(job('job_b', 'queued'), 2)),
      (j) => {
        putRows(j, [
          ['job_a', 2, 'a2'],
          ['job_b', 1, 'b1'],
          ['job_a', 3, 'a3'],
          ['job_b', 5, 'b5'],
        ]);
        j.trimEvents('job_a', 2);
        j.trimEvents('job_a', 3);
        j.putJobRow(jobRow(job('job_a', 'completed', { finished_at: 9 }), 1));
      },
    ]);
    const w = readSegment(readFileSync(file, 'utf8'));
    expect([...w.jobs.values()].map((r) => [r.id, r.state, r.finished_at, JSON.parse(r.body).state])).toEqual([
      ['job_a', 'completed', 9, 'completed'],
      ['job_b', 'queued', null, 'queued'],
    ]);
    // job_a's run goes on across commits; job_b's seqs skip from 1 to 5: two chunks.
    expect(chunksOf(w)).toEqual([
      ['job_a', 1, 3, 'a1\na2\na3'],
      ['job_b', 1, 1, 'b1'],
      ['job_b', 5, 5, 'b5'],
    ]);
    expect([...w.trims]).toEqual([['job_a', 3]]);
    // What the gateway applies from memory is what the store process reads from the file.
    expect(chunksOf(kept!)).toEqual(chunksOf(w));
    expect([...kept!.jobs]).toEqual([...w.jobs]);
    expect([...kept!.trims]).toEqual([...w.trims]);
  });

  // A disk that fills up mid-commit: a 16 KiB tmpfs (mounting one needs root, as CI and these
  // machines have; elsewhere the test is skipped rather than faked).
  it.skipIf(process.getuid?.() !== 0)('cuts a commit that failed to write out of the segment, and the next commit follows the last whole one', () => {
    const dir = tempDir('journal-full');
    execSync(`mount -t tmpfs -o size=16k tmpfs ${dir}`);
    const journal = new JobJournal(dir);
    try {
      journal.commit(() => journal.putJobRow(jobRow(job('job_before', 'queued'), 1)));
      const big = 'x'.repeat(64 * 1024);
      expect(() => journal.commit(() => putRows(journal, [['job_before', 1, JSON.stringify({ big })]]))).toThrow(/ENOSPC/);
      journal.commit(() => journal.putJobRow(jobRow(job('job_after', 'queued'), 2)));
      const { file } = journal.rotate()!;
      const w = readSegment(readFileSync(file, 'utf8'));
      expect([...w.jobs.keys()]).toEqual(['job_before', 'job_after']);
      expect(w.chunks).toEqual([]);
    } finally {
      journal.close();
      execSync(`umount ${dir}`);
    }
  });

  it('keeps tabs and newlines inside events (JSON escapes them; the format relies on it)', () => {
    const dir = tempDir('journal');
    const texts = ['a\tb', 'line\nbreak', '\t\n\r'];
    const file = segmentOf(dir, [
      (j) =>
        putRows(
          j,
          texts.map((text, i) => ['job_t', i + 1, eventLine('job_t', i + 1, { type: 'token', text })]),
        ),
    ]);
    const [chunk] = readSegment(readFileSync(file, 'utf8')).chunks;
    expect(
      chunk!.parts
        .join('\n')
        .split('\n')
        .map((l) => JSON.parse(l).text),
    ).toEqual(texts);
  });

  it('is applied on open when a gateway died before SQLite had it, and nothing is applied twice', async () => {
    const dataDir = tempDir('journal-crash');
    const journalDir = join(dataDir, 'journal');
    // Two segments as a process that died would leave them: the job accepted, then finished.
    segmentOf(journalDir, [
      (j) => {
        j.putJobRow(jobRow(job('job_x', 'queued'), 1));
        putRows(j, [['job_x', 1, '{"type":"queued","seq":1}']]);
      },
    ]);
    segmentOf(journalDir, [
      (j) => {
        putRows(j, [['job_x', 2, '{"type":"result","seq":2}']]);
        j.putJobRow(jobRow(job('job_x', 'completed', { finished_at: 5, result: { data: 'kept', files: [] } }), 1));
      },
    ]);
    expect(readdirSync(journalDir)).toEqual(['00000001.log', '00000002.log']);
    const engine = createEmbeddedEngine({ dataDir });
    // Applied and deleted, and their names not given again (the dead gateway's store process may
    // still be about to act on them: it must not find this process's segments under those names).
    expect(readdirSync(journalDir)).toEqual(['00000003.log']);
    expect(await engine.getJob('job_x')).toMatchObject({ state: 'completed', result: { data: 'kept' } });
    expect((await engine.readEvents('job_x', 0))!.lines).toEqual(['{"type":"queued","seq":1}', '{"type":"result","seq":2}']);
    expect(await engine.queuedJobIds('sp_1')).toEqual([]); // the later segment won: not requeued
    await engine.close();
    expect(readdirSync(journalDir)).toEqual([]);
  });
});

describe('the store process', () => {
  const running = (dataDir: string) =>
    execSync('ps -eo args')
      .toString()
      .split('\n')
      .filter((l) => l.includes('store-process.ts') && l.includes(dataDir)).length;

  it('applies the journal and checkpoints the WAL from its own process, and ends with the engine', async () => {
    const dataDir = tempDir('store-process');
    const engine = createEmbeddedEngine({ dataDir, checkpointIntervalMs: 30, flushIntervalMs: 20, applyIntervalMs: 20 });
    expect(running(dataDir)).toBe(1);
    await engine.createSpace(ECHO_SPACE);
    const jobs = Array.from({ length: 20 }, (_, i) => job(`job_${String(i).padStart(3, '0')}`, 'queued'));
    for (const j of jobs) await engine.submitJob(j, 100, () => ({ type: 'queued', position: 0, eta_ms: null, attempt: 0 }));
    // The database file alone, without its -wal: only the store process writes job rows to SQLite
    // and only it checkpoints (SQLite's own checkpoint is off in the gateway), so once the copy
    // holds the jobs, both worked. (A copy taken mid-checkpoint may be torn: it is taken again.)
    const counts = await until('the jobs in the database file', () => {
      const copy = join(tempDir('store-process-copy'), 'copy.db');
      copyFileSync(join(dataDir, 'spaceport.db'), copy);
      try {
        const db = new Database(copy);
        const n = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
        const found = { jobs: n('jobs'), spaces: n('spaces') };
        db.close();
        return found.jobs === 20 && found;
      } catch {
        return false;
      }
    });
    expect(counts).toEqual({ jobs: 20, spaces: 1 });
    expect(readdirSync(join(dataDir, 'journal'))).toHaveLength(1); // only the segment being written
    await engine.close();
    expect(running(dataDir)).toBe(0);
  });

  it('takes buffered events into the journal every flush, and the segment to SQLite only every apply', async () => {
    const dataDir = tempDir('store-process-intervals');
    const engine = createEmbeddedEngine({ dataDir, checkpointIntervalMs: 30, flushIntervalMs: 20, applyIntervalMs: 60_000 });
    await engine.submitJob(job('job_tokens', 'queued'), 100, () => ({ type: 'queued', position: 0, eta_ms: null, attempt: 0 }));
    const held = await engine.claimJob(['sp_1'], 'w', 60_000);
    await engine.appendEvent(refOf(held!), { type: 'token', text: 'buffered' }, { workerId: 'w', attempt: 1 });
    // The token is buffered, then journaled by the flush timer, into the one segment still being written.
    const segment = join(dataDir, 'journal', readdirSync(join(dataDir, 'journal'))[0]!);
    await until('the token in the journal', () => readFileSync(segment, 'utf8').includes('buffered'));
    await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(join(dataDir, 'journal'))).toHaveLength(1);
    const sqlite = new SqliteStore(join(dataDir, 'spaceport.db'));
    expect(sqlite.getJob('job_tokens')).toBeNull();
    sqlite.close();
    await engine.close();
  });

  it('is waited for by every read that needs SQLite, also one that finds nothing new to hand over', async () => {
    const dataDir = tempDir('store-process-reads');
    const engine = createEmbeddedEngine({ dataDir, checkpointIntervalMs: 30, flushIntervalMs: 60_000, applyIntervalMs: 60_000 });
    await engine.createSpace(ECHO_SPACE);
    await engine.submitJob(job('job_read', 'queued'), 100, () => ({ type: 'queued', position: 0, eta_ms: null, attempt: 0 }));
    const held = await engine.claimJob(['sp_1'], 'w', 60_000);
    await engine.appendEvent(refOf(held!), { type: 'result', data: 'done', files: [] }, { workerId: 'w', attempt: 1 }, { data: 'done', files: [] });
    // The first read hands the segment to the store process; the second has nothing new to hand
    // over, and must still wait for that segment rather than read SQLite before it has the job.
    const [first, second] = await Promise.all([engine.getJob('job_read'), engine.getJob('job_read')]);
    expect(first).toMatchObject({ state: 'completed' });
    expect(second).toMatchObject({ state: 'completed' });
    await engine.close();
  });

  it('killed, leaves what it had not answered for, and what comes after, to the gateway, in order', async () => {
    const dataDir = tempDir('store-process-killed');
    const engine = createEmbeddedEngine({ dataDir, checkpointIntervalMs: 30, flushIntervalMs: 60_000, applyIntervalMs: 60_000 });
    await engine.createSpace(ECHO_SPACE);
    await engine.submitJob(job('job_before', 'queued'), 100, () => ({ type: 'queued', position: 0, eta_ms: null, attempt: 0 }));
    const pid = Number(
      execSync('ps -eo pid,args')
        .toString()
        .split('\n')
        .find((l) => l.includes('store-process.ts') && l.includes(dataDir))!
        .trim()
        .split(' ')[0],
    );
    process.kill(pid, 'SIGKILL');
    // A read hands the segment over (to the child, or here once its death is known) and waits for it.
    expect(await engine.getJob('job_missing')).toBeNull();
    await until('the store process gone', () => running(dataDir) === 0);
    await engine.submitJob(job('job_after', 'queued'), 100, () => ({ type: 'queued', position: 1, eta_ms: null, attempt: 0 }));
    expect(await engine.listJobs({ limit: 10 })).toHaveLength(2);
    await engine.close();
    // Both reached SQLite: a fresh engine over the directory, with nothing left in the journal, has them.
    expect(readdirSync(join(dataDir, 'journal'))).toEqual([]);
    const again = createEmbeddedEngine({ dataDir });
    expect(await again.queuedJobIds('sp_1')).toEqual(['job_before', 'job_after']);
    await again.close();
  });

  it('outlived by its gateway, applies nothing it is still to read: the next gateway may have applied it and written newer rows', async () => {
    const dataDir = tempDir('store-process-orphan');
    const dbFile = join(dataDir, 'spaceport.db');
    new SqliteStore(dbFile).close();
    const file = segmentOf(join(dataDir, 'journal'), [(j) => j.putJobRow(jobRow(job('job_stale', 'running'), 1))]);
    const parent = runTs('test/fixtures/store-process-parent.ts', [dbFile, file]);
    const pid = Number((await parent.waitFor(/store process \d+/)).split(' ')[2]);
    // Stopped, it cannot read the segment's name before its gateway is gone (a busy machine's
    // lowest-priority process can wait that long).
    process.kill(pid, 'SIGSTOP');
    writeFileSync(`${file}.go`, '');
    await parent.waitFor('segment sent');
    await parent.kill('SIGKILL');
    process.kill(pid, 'SIGCONT');
    await until('the store process gone', () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z');
    expect(existsSync(file)).toBe(true); // left for the next gateway, which applies leftovers in order before anything else
    const store = new SqliteStore(dbFile);
    expect(store.getJob('job_stale')).toBeNull();
    store.close();
  });

  it('that cannot start leaves the segments to the gateway, puts SQLite’s own checkpoint back once, and stops without hanging', async () => {
    const dataDir = tempDir('store-process-missing');
    const store = new SqliteStore(join(dataDir, 'spaceport.db'));
    const real = process.execPath;
    let lost = 0;
    Object.defineProperty(process, 'execPath', { value: join(tmpdir(), 'no-such-node'), configurable: true });
    let applier: SegmentApplier;
    try {
      applier = new SegmentApplier(store, join(dataDir, 'spaceport.db'), 50, () => lost++);
    } finally {
      Object.defineProperty(process, 'execPath', { value: real, configurable: true });
    }
    const file = segmentOf(join(dataDir, 'journal'), [(j) => j.putJobRow(jobRow(job('job_here', 'queued'), 1))]);
    await applier.apply({ file });
    expect(store.getJob('job_here')).toMatchObject({ state: 'queued' });
    expect(existsSync(file)).toBe(false);
    await applier.stop();
    expect(lost).toBe(1);
    store.close();
  });

  it('runs the store process at the lowest CPU priority, below the event loop it works for', async () => {
    const dataDir = tempDir('store-process-nice');
    const store = new SqliteStore(join(dataDir, 'spaceport.db'));
    const applier = new SegmentApplier(store, join(dataDir, 'spaceport.db'), 50);
    const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/);
    const child = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('/store-process.'));
    expect(child).toBeDefined();
    const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    expect(nice).toBe(19);
    await applier.stop();
    store.close();
  });

  it('fails a segment it cannot read, and keeps every later one waiting behind it, in order', async () => {
    const dataDir = tempDir('store-process-bad');
    const store = new SqliteStore(join(dataDir, 'spaceport.db'));
    const applier = new SegmentApplier(store, join(dataDir, 'spaceport.db'), 50);
    const journalDir = join(dataDir, 'journal');
    mkdirSync(journalDir);
    const bad = join(journalDir, '00000001.log');
    writeFileSync(bad, 'Q\tnot a kind of line\nC\n');
    const good = segmentOf(journalDir, [(j) => j.putJobRow(jobRow(job('job_later', 'completed'), 1))]);
    const first = applier.apply({ file: bad });
    const second = applier.apply({ file: good });
    await expect(first).rejects.toThrow(/unknown kind/);
    await expect(second).rejects.toThrow(/unknown kind/); // tried behind the bad one, which failed again
    expect(store.getJob('job_later')).toBeNull();
    expect(existsSync(bad) && existsSync(good)).toBe(true); // both still there for the next start
    // Once the first can be read, trying again applies both, in order.
    writeFileSync(bad, readFileSync(segmentOf(journalDir, [(j) => j.putJobRow(jobRow(job('job_later', 'queued'), 1))]), 'utf8'));
    await applier.retry();
    expect(store.getJob('job_later')).toMatchObject({ state: 'completed' });
    expect(existsSync(bad) || existsSync(good)).toBe(false);
    await applier.stop();
    store.close();
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventLine } from '../../src/protocol/job-events.ts';
import { JobFeeds } from '../../src/server/job-feeds.ts';

const result = (job: string, seq: number) => eventLine(job, seq, { type: 'result', data: null, files: [] });

describe('finished feeds', () => {
  afterEach(() => vi.useRealTimers());

  it('drop a late copy of a final event for 30 s, then are forgotten without a timer per job', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sent: string[] = [];
    const feeds = new JobFeeds((job, line) => sent.push(`${job}:${line.includes('"result"') ? 'result' : 'other'}`));
    feeds.expect('job_a');
    feeds.begin('job_a', result('job_a', 1));
    feeds.onLive('job_a', result('job_a', 1)); // the late copy (another instance, a replay)
    expect(sent).toEqual(['job_a:result']);
    vi.setSystemTime(Date.now() + 31_000);
    feeds.expect('job_b');
    feeds.begin('job_b', result('job_b', 1)); // finishing another job forgets what is older than 30 s
    feeds.onLive('job_a', result('job_a', 1)); // job_a has no feed any more: passes as a topic line would
    expect(sent).toEqual(['job_a:result', 'job_b:result', 'job_a:result']);
  });

  it('are kept 10,000 at most per connection', () => {
    const sent: string[] = [];
    const feeds = new JobFeeds((job) => sent.push(job));
    for (let i = 0; i <= 10_000; i++) {
      feeds.expect(`job_${i}`);
      feeds.begin(`job_${i}`, result(`job_${i}`, 1));
    }
    feeds.onLive('job_0', result('job_0', 1)); // forgotten: the oldest beyond the cap
    feeds.onLive('job_10000', result('job_10000', 1)); // still remembered: dropped
    expect(sent.filter((j) => j === 'job_0')).toHaveLength(2);
    expect(sent.filter((j) => j === 'job_10000')).toHaveLength(1);
  });
});

describe('a feed expected before its job exists', () => {
  it('holds live lines until the first event is given, then sends each once, in seq order', () => {
    const sent: string[] = [];
    const feeds = new JobFeeds((_, line) => sent.push(line));
    const queued = eventLine('job_a', 1, { type: 'queued', position: 0, eta_ms: null, attempt: 0 });
    const started = eventLine('job_a', 2, { type: 'started', attempt: 1, worker: 'worker_1' });
    feeds.expect('job_a');
    // A quick worker's start, and the first event's own live copy, before the submit's reply.
    feeds.onLive('job_a', started);
    feeds.onLive('job_a', queued);
    expect(sent).toEqual([]);
    feeds.begin('job_a', queued);
    feeds.onLive('job_a', result('job_a', 3));
    expect(sent).toEqual([queued, started, result('job_a', 3)]);
  });
});

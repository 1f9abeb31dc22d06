import { describe, expect, it } from 'vitest';
import { EventLog } from '../../src/core/event-log.ts';

const line = (seq: number, text = `t${seq}`) => JSON.stringify({ type: 'token', job: 'job_x', seq, text });

describe('EventLog', () => {
  it('gives back every line as it was appended, across pages and in any script', () => {
    const log = new EventLog(10_000);
    const texts = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `héllo ${'✓'.repeat(i % 50)} 🎉 ${i}` : i % 3 === 1 ? 'x'.repeat(i % 700) : `"quoted" \\ ${i}`));
    texts.forEach((t, i) => log.append(line(i + 1, t)));
    expect(log.firstSeq).toBe(1);
    expect(log.lastSeq).toBe(3000);
    expect(log.after(0)).toEqual(texts.map((t, i) => line(i + 1, t)));
    expect(log.after(2990)).toEqual(texts.slice(2990).map((t, i) => line(2991 + i, t)));
    expect(log.after(3000)).toEqual([]);
  });

  it('drops the oldest tenth when full, and says where it now starts', () => {
    const log = new EventLog(100);
    for (let seq = 1; seq <= 101; seq++) log.append(line(seq));
    expect(log.firstSeq).toBe(11);
    expect(log.lastSeq).toBe(101);
    expect(log.after(0)).toEqual(Array.from({ length: 91 }, (_, i) => line(11 + i)));
    for (let seq = 102; seq <= 5000; seq++) log.append(line(seq));
    const kept = log.after(0);
    expect(kept.length).toBeLessThanOrEqual(100);
    expect(kept[0]).toBe(line(log.firstSeq));
    expect(kept.at(-1)).toBe(line(5000));
  });

  it('hands out runs of consecutive lines as bytes, a newline after each', () => {
    const log = new EventLog(10_000);
    for (let seq = 1; seq <= 2000; seq++) log.append(line(seq, 'y'.repeat(seq % 90)));
    const runs = log.runs(1500);
    expect(runs[0]!.firstSeq).toBe(1500);
    let seq = 1500;
    for (const run of runs) {
      expect(run.firstSeq).toBe(seq);
      const lines = run.bytes.toString('utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toEqual(Array.from({ length: run.count }, (_, i) => line(seq + i, 'y'.repeat((seq + i) % 90))));
      seq += run.count;
    }
    expect(seq).toBe(2001);
  });

  it('restores from stored lines, keeping their seqs', () => {
    const log = new EventLog(50, { lines: [line(7), line(8)], firstSeq: 7 });
    log.append(line(9));
    expect(log.firstSeq).toBe(7);
    expect(log.nextSeq).toBe(10);
    expect(log.after(7)).toEqual([line(8), line(9)]);
  });
});

import { describe, expect, it } from 'vitest';
import { YoungCollector } from '../../src/wire/fast/young-collector.ts';
import { runTs } from '../helpers/processes.ts';

const MiB = 1024 * 1024;
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('YoungCollector', () => {
  it('asks for one young collection per threshold crossed, a turn after the frame that crossed it', async () => {
    const calls: unknown[] = [];
    const collector = new YoungCollector(4 * MiB, (options) => calls.push(options));
    collector.received(3 * MiB);
    await turns(3);
    expect(calls).toEqual([]);
    collector.received(1 * MiB);
    collector.received(5 * MiB); // while one is pending: no second one, and the count starts again
    expect(calls).toEqual([]); // never in the middle of handling the frame
    await turns(3);
    expect(calls).toEqual([{ type: 'minor' }]);
    collector.received(4 * MiB);
    await turns(3);
    expect(calls).toHaveLength(2);
  });

  it('does nothing when turned off', async () => {
    const calls: unknown[] = [];
    const collector = new YoungCollector(0, (options) => calls.push(options));
    expect(collector.active).toBe(false);
    collector.received(64 * MiB);
    await turns(3);
    expect(calls).toEqual([]);
  });

  it("frees the dead Buffers of the frames it counted, with V8's own collector", async () => {
    const proc = runTs('test/fixtures/dropped-frames.ts', [String(4 * MiB)]);
    expect(await proc.exited()).toBe(0);
    const [, before, after] = /before (-?\d+) after (-?\d+)/.exec(proc.output())!.map(Number);
    expect(before).toBeGreaterThanOrEqual(15 * MiB); // all 16 dropped frames still counted...
    expect(after).toBeLessThan(1 * MiB); // ...until the collection, freed during it
  });
});

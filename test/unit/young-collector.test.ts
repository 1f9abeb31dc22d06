import { describe, expect, it } from 'vitest';
import { YoungCollector } from '../../src/server/young-collector.ts';
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
    const held = async (everyBytes: number) => {
      const proc = runTs('test/fixtures/dropped-frames.ts', [String(everyBytes)]);
      expect(await proc.exited()).toBe(0);
      return Number(/held (-?\d+)/.exec(proc.output())![1]);
    };
    // Left alone, V8 had little reason to collect: most of the 16 MiB stayed counted (9-16 MiB in
    // runs here); with the collector, next to none.
    expect(await held(0)).toBeGreaterThan(6 * MiB);
    expect(await held(4 * MiB)).toBeLessThan(3 * MiB);
  });
});

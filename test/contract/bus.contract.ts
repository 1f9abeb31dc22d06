import { describe, expect, it } from 'vitest';
import { job, queued, space, until, type MakeEngine } from './harness.ts';

/** The bus port (src/core/ports/bus.ts): broadcast in publish order, with the job events the jobs port publishes. */
export function busContract(name: string, makeEngine: MakeEngine): void {
  describe(`bus port: ${name}`, () => {
    it('delivers messages to every subscriber in publish order, until it unsubscribes', async () => {
      const { engine } = await makeEngine();
      const first: string[] = [];
      const second: string[] = [];
      const off1 = engine.subscribe({ message: (channel, message) => void (channel === 'test' && first.push(message)), jobEvent: () => {} });
      const off2 = engine.subscribe({ message: (channel, message) => void (channel === 'test' && second.push(message)), jobEvent: () => {} });
      for (let i = 0; i < 100; i++) engine.publish('test', String(i));
      await until(() => first.length === 100 && second.length === 100);
      expect(first).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
      expect(second).toEqual(first);
      off2();
      engine.publish('test', 'after');
      await until(() => first.length === 101);
      await new Promise((r) => setTimeout(r, 20));
      expect(second).toHaveLength(100);
      off1();
      await engine.close();
      await engine.close(); // idempotent
    });

    it('keeps the publish order across channels', async () => {
      const { engine } = await makeEngine();
      const got: string[] = [];
      const off = engine.subscribe({
        message: (channel, message) => void ((channel === 'x' || channel === 'y') && got.push(`${channel}${message}`)),
        jobEvent: () => {},
      });
      const sent = Array.from({ length: 60 }, (_, i) => (i % 7 < 4 ? `x${i}` : `y${i}`));
      for (const m of sent) engine.publish(m[0]!, m.slice(1));
      await until(() => got.length === sent.length);
      expect(got).toEqual(sent);
      off();
      await engine.close();
    });

    it('refuses a message of more than one line', async () => {
      const { engine } = await makeEngine();
      expect(() => engine.publish('test', 'one\ntwo')).toThrow();
      await engine.close();
    });

    it('delivers the job events of appends with their four fields, in order with the messages published around them', async () => {
      const { engine } = await makeEngine();
      const s = space('bus-events');
      await engine.createSpace(s);
      const got: string[] = [];
      const off = engine.subscribe({
        message: (channel, message) => void (channel === 'ctl-test' && got.push(`message ${message}`)),
        jobEvent: (spaceId, jobId, ownerId, line) => void (spaceId === s.id && got.push(`event ${jobId}|${ownerId}|${JSON.parse(line).seq}`)),
      });
      const jobs = [job(s), job(s), job(s)];
      const expected: string[] = [];
      for (const [i, j] of jobs.entries()) {
        engine.publish('ctl-test', `before ${i}`);
        expected.push(`message before ${i}`);
        await engine.submitJob(j, 10, queued);
        expected.push(`event ${j.id}|${j.owner.id}|1`);
      }
      engine.publish('ctl-test', 'last');
      expected.push('message last');
      await until(() => got.length === expected.length);
      expect(got).toEqual(expected);
      off();
      await engine.close();
    });
  });
}

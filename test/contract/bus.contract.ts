import { describe, expect, it } from 'vitest';
import { CHANNEL, queuedControl } from '../../src/core/topics.ts';
import type { Engine } from '../../src/core/engine-port.ts';
import { heldJob, job, queued, ref, space, token, until, type MakeEngine } from './harness.ts';

/** A space of its own on `engine`, and the control lines about it heard from now on; `settled` lets those published before it arrive. */
async function announcements(engine: Engine, name: string) {
  const s = space(name);
  await engine.createSpace(s);
  const heard: string[] = [];
  const off = engine.subscribe({ message: (channel, message) => void (channel === CHANNEL.control && message.includes(s.id) && heard.push(message)), jobEvent: () => {} });
  const settled = async () => {
    engine.publish('ctl-test', 'flush'); // published after them: once it is heard, so would they be
    await new Promise((r) => setTimeout(r, 50));
  };
  return { s, heard, settled, off };
}

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

    it('announces a job that can be claimed on the control channel with the submit itself — not one waiting for its time, nor a refused one', async () => {
      const { engine } = await makeEngine();
      const { s, heard, settled, off } = await announcements(engine, 'bus-announce');
      await engine.submitJob(job(s), 1, queued, queuedControl(s.id));
      await until(() => heard.length === 1);
      expect(JSON.parse(heard[0]!)).toEqual({ op: 'queued', space: s.id });
      await expect(engine.submitJob(job(s), 1, queued, queuedControl(s.id))).rejects.toMatchObject({ code: 'queue_full' });
      await engine.submitJob(job(s, { not_before: Date.now() + 60_000 }), 2, queued, queuedControl(s.id));
      await settled();
      expect(heard).toHaveLength(1);
      off();
      await engine.close();
    });

    it('announces a job joining a queue that holds one already only where idle slots do not park (claimOrPark): where they do, each idle one is parked or claiming, and none needs telling', async () => {
      const { engine } = await makeEngine();
      const { s, heard, settled, off } = await announcements(engine, 'bus-announce-behind');
      for (let i = 0; i < 3; i++) await engine.submitJob(job(s), 10, queued, queuedControl(s.id));
      await settled();
      expect(heard).toHaveLength(engine.claimOrPark ? 1 : 3);
      off();
      await engine.close();
    });
    it('sends a job’s events to the instance it was submitted on, and to another only while it follows the job or watches its space (where the bus has follow and watch)', async () => {
      const made = await makeEngine();
      const { engine } = made;
      const { j, h } = await heldJob(engine, 'bus-reach');
      // A job's events come as job events only, never as messages of some channel.
      const leaked: string[] = [];
      const heard = (on: Engine) => {
        const got: string[] = [];
        const off = on.subscribe({
          message: (channel, message) => void (message.includes(j.id) && leaked.push(channel)),
          jobEvent: (_s, id, _o, line, reach) => void (id === j.id && got.push(`${reach ?? 'all'} ${JSON.parse(line).text}`)),
        });
        return { got, off };
      };
      const here = heard(engine);
      const settle = () => new Promise((r) => setTimeout(r, 100));
      const say = async (text: string) => expect(await engine.appendEvent(ref(j), token(text), h)).toBe(true);
      if (!engine.follow || !engine.watch || !made.leasesSurviveReopen || !made.reopen) {
        // Everything reaches every listener of the one instance.
        const again = heard(engine);
        await say('a');
        await until(() => here.got.length === 1 && again.got.length === 1);
        expect([here.got, again.got]).toEqual([['all a'], ['all a']]);
        here.off();
        again.off();
        return await engine.close();
      }
      const other = await made.reopen();
      const there = heard(other);
      await say('a');
      await until(() => here.got.length === 1);
      await settle();
      expect(there.got).toEqual([]); // neither following nor watching
      expect(await other.follow!(j.id)).toBe(true);
      await say('b');
      await until(() => there.got.length === 1);
      other.watch!(j.space_id, true);
      await settle();
      await say('c');
      await until(() => there.got.length === 3);
      other.watch!(j.space_id, false);
      other.watch!(null, true);
      await settle();
      await say('d');
      await until(() => there.got.length === 5);
      other.watch!(null, false);
      await settle();
      await say('e');
      await until(() => here.got.length === 5 && there.got.length === 6);
      await settle();
      expect(here.got).toEqual(['followers a', 'followers b', 'followers c', 'followers d', 'followers e']);
      expect(there.got).toEqual(['followers b', 'watchers c', 'followers c', 'watchers d', 'followers d', 'followers e']);
      expect(await other.follow!('job_none')).toBe(false);
      expect(leaked).toEqual([]);
      here.off();
      there.off();
      await other.close();
      await engine.close();
    });
  });
}

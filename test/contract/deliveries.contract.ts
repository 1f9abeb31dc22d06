import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/core/ports/deliveries.ts';
import type { MakeEngine } from './harness.ts';

let made = 0;
const delivery = (over: Partial<Delivery> = {}): Delivery => ({
  id: `dlv_${String(++made).padStart(6, '0')}_${Math.random().toString(36).slice(2, 8)}`,
  space_id: 'sp_hooks',
  job_id: 'job_1',
  url: 'https://example.com/hook',
  event: 'job.completed',
  body: '{"type":"job.completed"}',
  attempts: 0,
  state: 'pending',
  next_at: Date.now(),
  created_at: Date.now() + made,
  ...over,
});

/** The webhook deliveries port (src/core/ports/deliveries.ts): kept until settled, taken by one sender at a time. */
export function deliveriesContract(name: string, makeEngine: MakeEngine): void {
  describe(`deliveries port: ${name}`, () => {
    it('hands a due delivery to one taker, holds it, and takes it again once the hold is over unless it was settled', async () => {
      const made = await makeEngine();
      const other = made.leasesSurviveReopen && made.reopen ? await made.reopen() : made.engine;
      const now = Date.now();
      const [a, later] = [delivery({ next_at: now - 10 }), delivery({ next_at: now + 60_000 })];
      await made.engine.queueDelivery(a);
      await made.engine.queueDelivery(later);
      // Two takers at once (two instances, where the engine has them): one gets it.
      const takes = await Promise.all([made.engine.takeDeliveries(now, 10, 1000), other.takeDeliveries(now, 10, 1000)]);
      expect(takes.flat().map((d) => d.id)).toEqual([a.id]);
      expect(takes.flat()[0]).toMatchObject({ url: a.url, body: a.body, attempts: 0, state: 'pending' });
      expect(await made.engine.takeDeliveries(now + 999, 10, 1000)).toEqual([]);
      // Its sender died: taken again after the hold.
      expect((await made.engine.takeDeliveries(now + 1000, 10, 1000)).map((d) => d.id)).toEqual([a.id]);
      // Tried and due again later, then delivered: never taken again.
      await made.engine.settleDelivery({ ...a, attempts: 1, next_at: now + 5000, last_status: 500 });
      expect(await made.engine.takeDeliveries(now + 4999, 10, 1000)).toEqual([]);
      expect((await made.engine.takeDeliveries(now + 5000, 10, 1000)).map((d) => d.attempts)).toEqual([1]);
      await made.engine.settleDelivery({ ...a, attempts: 2, state: 'delivered', last_status: 200, settled_at: now + 5001 });
      expect((await made.engine.takeDeliveries(now + 30_000, 10, 1000)).map((d) => d.id)).toEqual([]);
      expect((await made.engine.takeDeliveries(now + 60_000, 10, 1000)).map((d) => d.id)).toEqual([later.id]);
      if (other !== made.engine) await other.close();
      await made.engine.close();
    });

    it('lists the newest first, by space, and purges settled ones past retention only', async () => {
      const { engine } = await makeEngine();
      const space = `sp_${Math.random().toString(36).slice(2, 8)}`;
      const ds = [delivery({ space_id: space }), delivery({ space_id: space }), delivery({ space_id: space })];
      for (const d of ds) await engine.queueDelivery(d);
      await engine.queueDelivery(delivery({ space_id: 'sp_other' }));
      expect((await engine.listDeliveries(10, space)).map((d) => d.id)).toEqual(ds.map((d) => d.id).reverse());
      expect(await engine.listDeliveries(2, space)).toHaveLength(2);
      const now = Date.now();
      await engine.settleDelivery({ ...ds[0]!, state: 'failed', last_error: 'refused', settled_at: now - 10_000 });
      await engine.settleDelivery({ ...ds[1]!, state: 'delivered', last_status: 204, settled_at: now });
      expect(await engine.purgeDeliveriesBefore(now - 5000)).toBe(1);
      expect((await engine.listDeliveries(10, space)).map((d) => [d.id, d.state])).toEqual([
        [ds[2]!.id, 'pending'],
        [ds[1]!.id, 'delivered'],
      ]);
      await engine.close();
    });
  });
}

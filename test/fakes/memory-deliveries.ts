import type { Delivery, DeliveryRecords } from '../../src/core/ports/deliveries.ts';

/** Webhook deliveries in a Map, for the memory engine (one process, so taking one is taking it). */
export function memoryDeliveries(): DeliveryRecords {
  const deliveries = new Map<string, Delivery>();
  const copy = (d: Delivery): Delivery => ({ ...d });
  return {
    async queueDelivery(d) {
      deliveries.set(d.id, copy(d));
    },
    async takeDeliveries(now, limit, holdMs) {
      const due = [...deliveries.values()].filter((d) => d.state === 'pending' && d.next_at <= now).sort((a, b) => a.next_at - b.next_at);
      return due.slice(0, limit).map((d) => {
        d.next_at = now + holdMs;
        return copy(d);
      });
    },
    async settleDelivery(d) {
      if (deliveries.has(d.id)) deliveries.set(d.id, copy(d));
    },
    async listDeliveries(limit, spaceId) {
      return [...deliveries.values()]
        .filter((d) => spaceId === undefined || d.space_id === spaceId)
        .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
        .slice(0, limit)
        .map(copy);
    },
    async purgeDeliveriesBefore(before) {
      let n = 0;
      for (const d of deliveries.values()) if (d.state !== 'pending' && (d.settled_at ?? 0) < before && deliveries.delete(d.id)) n++;
      return n;
    },
  };
}

import Database from 'libsql';
import type { Delivery, DeliveryRecords } from '../../core/ports/deliveries.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, space_id TEXT NOT NULL, state TEXT NOT NULL,
  next_at INTEGER NOT NULL, created_at INTEGER NOT NULL, settled_at INTEGER, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_at);
CREATE INDEX IF NOT EXISTS deliveries_newest ON deliveries (created_at);
`;

/**
 * Webhook deliveries in the data directory's SQLite file, on a connection of their own (they are
 * few — one per job event a webhook asks for — and written as they happen, not through the job
 * journal). One process uses a data directory, so taking a delivery needs no more than a write.
 */
export function embeddedDeliveries(dbFile: string): DeliveryRecords & { close(): void } {
  const db = new Database(dbFile);
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const put = db.prepare('INSERT OR REPLACE INTO deliveries (id, space_id, state, next_at, created_at, settled_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const due = db.prepare("SELECT body FROM deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?");
  const hold = db.prepare('UPDATE deliveries SET next_at = ? WHERE id = ?');
  const newest = db.prepare('SELECT body FROM deliveries WHERE (?1 IS NULL OR space_id = ?1) ORDER BY created_at DESC, id DESC LIMIT ?2');
  const purge = db.prepare("DELETE FROM deliveries WHERE state != 'pending' AND settled_at < ?");
  const write = (d: Delivery) => put.run(d.id, d.space_id, d.state, d.next_at, d.created_at, d.settled_at ?? null, JSON.stringify(d));
  const parse = (rows: unknown[]) => (rows as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Delivery);
  return {
    async queueDelivery(d) {
      write(d);
    },
    async takeDeliveries(now, limit, holdMs) {
      const taken = parse(due.all(now, limit));
      for (const d of taken) hold.run(now + holdMs, d.id);
      return taken;
    },
    async settleDelivery(d) {
      write(d);
    },
    async listDeliveries(limit, spaceId) {
      return parse(newest.all(spaceId ?? null, limit));
    },
    async purgeDeliveriesBefore(before) {
      return Number(purge.run(before).changes);
    },
    close: () => db.close(),
  };
}

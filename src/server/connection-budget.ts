import type { ConnectionCounts } from '../core/ports/records.ts';

/**
 * Open WebSocket connections per caller (budget key), so one caller cannot take the gateway's
 * connection limit from everyone else. Counted here for this instance, and — when the engine is
 * shared by many instances — also in the engine, so the budget holds across them (a few upgrades
 * racing on several instances at once may pass it by a few).
 */
export class ConnectionBudget {
  private readonly local = new Map<string, number>();

  constructor(private readonly shared?: ConnectionCounts) {}

  /** Whether `key` (null: not budgeted) already holds `max` connections, as many as it may. */
  async full(key: string | null, max: number): Promise<boolean> {
    if (key === null) return false;
    if ((this.local.get(key) ?? 0) >= max) return true;
    return this.shared ? (await this.shared.count(key).catch(() => 0)) >= max : false;
  }

  opened(key: string | null): void {
    if (key === null) return;
    this.local.set(key, (this.local.get(key) ?? 0) + 1);
    this.shared?.opened(key);
  }

  closed(key: string | null): void {
    if (key === null) return;
    const n = (this.local.get(key) ?? 1) - 1;
    if (n > 0) this.local.set(key, n);
    else this.local.delete(key);
    this.shared?.closed(key);
  }
}

/**
 * Open WebSocket connections per caller (budget key) on this instance, so one caller cannot take
 * the gateway's connection limit from everyone else. Counted where the sockets are: a deployment
 * of N instances lets a caller hold up to N × the budget, spread by the load balancer.
 */
export class ConnectionBudget {
  private readonly open_ = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Whether `key` (null: not budgeted) already holds as many connections as it may. */
  full(key: string | null): boolean {
    return key !== null && (this.open_.get(key) ?? 0) >= this.max;
  }

  opened(key: string | null): void {
    if (key !== null) this.open_.set(key, (this.open_.get(key) ?? 0) + 1);
  }

  closed(key: string | null): void {
    if (key === null) return;
    const n = (this.open_.get(key) ?? 1) - 1;
    if (n > 0) this.open_.set(key, n);
    else this.open_.delete(key);
  }
}

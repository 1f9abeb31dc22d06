export interface ThrottleRule {
  /** Failures allowed before a wait: the next attempt after this many waits. */
  freeFailures: number;
  /** The first wait; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest wait; a key quiet this long is forgotten. */
  maxDelayMs: number;
}

interface Record {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/**
 * Failed sign-ins per key (a username, a client address), with exponential backoff: past a few free
 * failures each one locks the key for twice as long as the last, up to a cap. A locked key is
 * refused before its password is even hashed, so a flood costs the gateway almost nothing. The
 * keys kept are bounded (oldest forgotten first): a flood of made-up names cannot grow memory.
 */
export class LoginThrottle {
  private readonly records = new Map<string, Record>();

  constructor(
    private readonly rule: ThrottleRule,
    private readonly maxKeys = 100_000,
  ) {}

  /** How long `key` must wait before its next attempt (0: it may try now). */
  waitMs(key: string, now: number): number {
    const r = this.live(key, now);
    return r ? Math.max(0, r.lockedUntil - now) : 0;
  }

  failed(key: string, now: number): void {
    const r = this.live(key, now) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    r.failures += 1;
    r.lastFailure = now;
    const over = r.failures - this.rule.freeFailures;
    if (over >= 0) r.lockedUntil = now + Math.min(this.rule.maxDelayMs, this.rule.baseDelayMs * 2 ** Math.min(over, 30));
    this.records.delete(key); // re-inserted last: the Map's order is the order of last failure
    this.records.set(key, r);
    if (this.records.size > this.maxKeys) this.records.delete(this.records.keys().next().value!);
  }

  succeeded(key: string): void {
    this.records.delete(key);
  }

  private live(key: string, now: number): Record | undefined {
    const r = this.records.get(key);
    if (r && now - r.lastFailure > this.rule.maxDelayMs && now >= r.lockedUntil) {
      this.records.delete(key);
      return undefined;
    }
    return r;
  }
}

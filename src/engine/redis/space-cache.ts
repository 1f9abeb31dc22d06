import type { Space } from '../../core/types.ts';

/**
 * Spaces as read from Redis, kept a moment, so a submit (and every queue refresh) finds its space
 * without two round trips. Spaces change rarely and only through this engine: each change is
 * published (SPACES_CHANNEL) and every instance forgets all it kept the moment it hears — within
 * a pub/sub delivery. The time limit is the net under a lost message (a subscriber reconnecting):
 * nothing is kept longer than `keepMs`.
 */
export class SpaceCache {
  private readonly byId = new Map<string, { space: Space | null; at: number }>();
  private readonly idByName = new Map<string, { id: string | null; at: number }>();

  constructor(private readonly keepMs: number) {}

  /** The space kept for this name, null when known not to exist, undefined when not kept (or too old). */
  named(name: string, now = Date.now()): Space | null | undefined {
    const entry = this.idByName.get(name);
    if (!entry || now - entry.at > this.keepMs) return undefined;
    return entry.id === null ? null : this.withId(entry.id, now);
  }

  withId(id: string, now = Date.now()): Space | null | undefined {
    const entry = this.byId.get(id);
    return entry && now - entry.at <= this.keepMs ? entry.space : undefined;
  }

  keepNamed(name: string, space: Space | null): void {
    const at = Date.now();
    this.idByName.set(name, { id: space?.id ?? null, at });
    if (space) this.byId.set(space.id, { space, at });
  }

  keepWithId(id: string, space: Space | null): void {
    this.byId.set(id, { space, at: Date.now() });
  }

  clear(): void {
    this.byId.clear();
    this.idByName.clear();
  }
}

/** Where an instance says it changed a space (the bus's own channel, not one the core listens to). */
export const SPACES_CHANNEL = 'spaces';

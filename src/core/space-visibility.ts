import type { Space } from './types.ts';

/**
 * Which spaces let anyone watch their jobs (`visibility: "public"`), known on every instance without
 * a lookup per event: loaded at start, then told of every change over the bus (a `space` control
 * message, which the admin routes send on create, update and delete).
 */
export class SpaceVisibility {
  private readonly open = new Set<string>();

  /** Takes a space as it now is. */
  note(space: Pick<Space, 'id' | 'visibility'>): void {
    if (space.visibility === 'public') this.open.add(space.id);
    else this.open.delete(space.id);
  }

  forget(spaceId: string): void {
    this.open.delete(spaceId);
  }

  isPublic(spaceId: string): boolean {
    return this.open.has(spaceId);
  }
}

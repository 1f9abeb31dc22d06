import type { Space } from '../core/types.ts';
import { SpaceportError } from '../protocol/errors.ts';
import { type SpaceDeclaration, withPresentation } from '../protocol/space-presentation.ts';
import type { ServerContext } from './server-context.ts';

/**
 * A registering worker's word on how its spaces present themselves (register.declare): each
 * declared space is updated where the declaration changes it, so the space's page, its options
 * check and every instance see it (docs/spaces.md#presentation). Only a worker with a token may
 * declare: open registration lets anyone on the network serve a space, not redefine it.
 */
export async function applyDeclarations(ctx: ServerContext, spaces: Space[], declare: Record<string, SpaceDeclaration>, withToken: boolean): Promise<Space[]> {
  for (const name of Object.keys(declare)) {
    if (!spaces.some((s) => s.name === name)) throw new SpaceportError('invalid_message', `declare names "${name}", a space this registration does not serve.`);
  }
  if (!withToken) throw new SpaceportError('forbidden', 'Declaring how a space presents itself needs a worker token (open registration may only serve).');
  const out: Space[] = [];
  for (const space of spaces) {
    const declared = declare[space.name];
    const updated = declared && withPresentation(space, declared);
    if (updated && JSON.stringify(updated) !== JSON.stringify(space)) {
      const stamped = { ...updated, updated_at: Date.now() };
      await ctx.engine.updateSpace(stamped);
      ctx.log.info({ space: space.name, declared: Object.keys(declared!) }, 'space presentation declared by its worker');
      out.push(stamped);
    } else out.push(space);
  }
  return out;
}

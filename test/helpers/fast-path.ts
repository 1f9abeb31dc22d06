import { expect } from 'vitest';
import type { z } from 'zod';

/**
 * A hand-written decoder (a hot message's fast path) against its schema, over `cases`: whatever it
 * accepts, the schema accepts as the same value; and whatever the schema accepts that is the fast
 * path's to take (`its`) with no key the schema strips, the fast path accepts too.
 */
export function expectSameAsSchema<T>(fast: (value: unknown) => T | null, schema: z.ZodType<T>, cases: unknown[], its: (decoded: T) => boolean): void {
  for (const value of cases) {
    const quick = fast(value);
    const full = schema.safeParse(value);
    if (quick) expect(full.success && full.data, JSON.stringify(value)).toEqual(quick);
    const stripped = full.success && Object.keys(value as object).length !== Object.keys(full.data as object).length;
    if (full.success && its(full.data) && !stripped) expect(quick, JSON.stringify(value)).not.toBeNull();
  }
}

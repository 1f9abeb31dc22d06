import { z } from 'zod';

/** Priorities are integers from -PRIORITY_LIMIT to PRIORITY_LIMIT; higher goes first, 0 unless asked (docs/queue.md). */
export const PRIORITY_LIMIT = 1000;

export const Priority = z.number().int().min(-PRIORITY_LIMIT).max(PRIORITY_LIMIT);

/** Priority's rules, by hand (the submit's hot path). */
export const isPriority = (value: unknown): value is number => Number.isInteger(value) && Math.abs(value as number) <= PRIORITY_LIMIT;

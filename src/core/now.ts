/**
 * A value, or a promise of it. The embedded engine answers at once and the Redis engine cannot;
 * the token path takes either, so through the embedded engine a token costs no promise and no
 * async function's suspended frame — which were 40% of what the gateway allocated per token.
 */
export type Now<T> = T | Promise<T>;

/** `next(value)` at once when the value is there, else once it arrives. */
export function andThen<T, U>(value: Now<T>, next: (value: T) => Now<U>): Now<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

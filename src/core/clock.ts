/**
 * Time as the core sees it: the current time and timers. The gateway runs on the system clock;
 * core's unit tests run on a manual one (test/fakes/manual-clock.ts), so a cancel's grace period, a
 * lease, a deadline or a retention window passes in a line instead of in real seconds.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms`; the function returned cancels it. A timer never keeps the process alive. */
  after(ms: number, fn: () => void): () => void;
  /** Calls `fn` every `ms` until the function returned is called. Never keeps the process alive. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

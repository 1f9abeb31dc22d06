type Probe<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/**
 * Waits for a condition by polling (the probe may be async), with a timeout that names what was
 * awaited. Not a sleep: returns as soon as it holds.
 */
export async function until<T>(what: string, probe: Probe<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Memory its owner lends out for a while and must not reuse until it is given back: a region of the
 * live-media ring handed to a socket to write, or to a worker's frame to be read into (LiveBlobs).
 *
 * The release travels with the view in a WeakMap, so a lent view is still a plain Uint8Array (or
 * Buffer) to everything that does not care, and whoever is last to hold it — a socket's write
 * callback, a dropped queue, a failed upload — gives it back without knowing who lent it.
 * `giveBack` runs a view's release once; on a view that was never lent, or already given back, it
 * does nothing.
 */
const releases = new WeakMap<Uint8Array, () => void>();

export function lend<T extends Uint8Array>(view: T, release: () => void): T {
  releases.set(view, release);
  return view;
}

export function isLent(view: Uint8Array): boolean {
  return releases.has(view);
}

export function giveBack(view: Uint8Array | undefined): void {
  if (!view) return;
  const release = releases.get(view);
  if (!release) return;
  releases.delete(view);
  release();
}

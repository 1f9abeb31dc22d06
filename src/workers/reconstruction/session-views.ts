import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SparseModel, viewFile } from './colmap-model.ts';

/** Sessions whose images this worker keeps for their next incremental generate, at most. */
const MAX_SESSIONS = 4;
/** A session not added to for this long is forgotten (its images deleted). */
const IDLE_MS = 60 * 60 * 1000;

/** What an incremental session has so far: its images on disk, and the model last sent (its points on a grid, its cameras). */
export interface SessionViews {
  dir: string;
  images: number;
  /** Occupied cells of the points sent so far (`cell` wide), so a delta sends only what is new. */
  sent: Set<string>;
  cell: number;
  /** Image index → camera centre, in the frame of the first model sent (the frame every delta keeps). */
  cameras: Map<number, [number, number, number]>;
  usedAt: number;
}

/**
 * The images of incremental reconstruction sessions, kept by this worker between generates: an
 * incremental batch brings only the new images, and COLMAP needs them all. Bounded (MAX_SESSIONS,
 * each forgotten after IDLE_MS); a session this worker never saw starts from its batch alone.
 */
export class SessionImages {
  private readonly sessions = new Map<string, SessionViews>();

  /** The session's kept views with `images` added after them (written as view-NNNN files, numbered on). */
  async add(sessionId: string, images: Array<{ data: Uint8Array; ext: string }>): Promise<SessionViews> {
    await this.forgetIdle();
    let s = this.sessions.get(sessionId);
    if (!s) {
      while (this.sessions.size >= MAX_SESSIONS) await this.forget(this.sessions.keys().next().value!);
      s = { dir: await mkdtemp(join(tmpdir(), 'spaceport-session-')), images: 0, sent: new Set(), cell: 0, cameras: new Map(), usedAt: 0 };
      this.sessions.set(sessionId, s);
    }
    s.images = await writeViews(s.dir, images, s.images);
    s.usedAt = Date.now();
    return s;
  }

  private async forgetIdle(): Promise<void> {
    for (const [id, s] of this.sessions) if (Date.now() - s.usedAt > IDLE_MS) await this.forget(id);
  }

  private async forget(id: string): Promise<void> {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    if (s) await rm(s.dir, { recursive: true, force: true });
  }
}

/** Writes images into `dir`/images (made if missing) as the view files COLMAP reads, numbered from `first`; answers the number after the last. */
export async function writeViews(dir: string, images: Array<{ data: Uint8Array; ext: string }>, first = 0): Promise<number> {
  await mkdir(join(dir, 'images'), { recursive: true });
  let n = first;
  for (const image of images) await writeFile(join(dir, 'images', viewFile(n++, image.ext)), image.data);
  return n;
}

/** The grid cell of a point, as a key. */
export const cellOf = (p: ArrayLike<number>, cell: number) => `${Math.floor(p[0]! / cell)},${Math.floor(p[1]! / cell)},${Math.floor(p[2]! / cell)}`;

/** A model's camera centres keyed by image index. */
export function camerasByImage(model: SparseModel): Map<number, [number, number, number]> {
  return new Map(model.cameras.map((c) => [c.image, c.center]));
}

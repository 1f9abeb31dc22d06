import sharp from 'sharp';

/**
 * Photographs of a made-up scene for the reconstruction tests: a textured box on a textured floor,
 * seen by `count` cameras in a circle around it (ray-cast here, pixel by pixel). The textures are
 * blocks of colour at two scales, so the views share plenty of corners for feature matching. Gives
 * the images, where each camera stood, and each point's distance to the nearest surface — the
 * ground truth a reconstruction is checked against (after aligning its cameras with these).
 */
export interface SceneViews {
  images: Buffer[];
  cameras: Array<[number, number, number]>;
  /** Distance from a point to the nearest surface of the scene (floor or box), in scene units. */
  distanceToSurface(p: [number, number, number]): number;
}

const W = 640;
const H = 480;
const F = 520; // focal length in pixels
const BOX = { x: 0.7, y: 0.5, z: 1.0 }; // half sizes in x and y; height in z
const FLOOR = 2.6; // half size of the floor square

export async function sceneViews(count = 24, radius = 3.4, height = 2.0): Promise<SceneViews> {
  const images: Buffer[] = [];
  const cameras: Array<[number, number, number]> = [];
  for (let i = 0; i < count; i++) {
    const a = (2 * Math.PI * i) / count;
    const eye: [number, number, number] = [radius * Math.cos(a), radius * Math.sin(a), height];
    cameras.push(eye);
    images.push(
      await sharp(render(eye, [0, 0, 0.35]), { raw: { width: W, height: H, channels: 3 } })
        .jpeg({ quality: 92 })
        .toBuffer(),
    );
  }
  return { images, cameras, distanceToSurface };
}

function render(eye: number[], target: number[]): Buffer {
  const forward = norm(sub(target, eye));
  const right = norm(cross(forward, [0, 0, 1]));
  const down = cross(forward, right);
  const out = Buffer.alloc(W * H * 3);
  for (let py = 0; py < H; py++) {
    for (let px = 0; px < W; px++) {
      const u = (px + 0.5 - W / 2) / F;
      const v = (py + 0.5 - H / 2) / F;
      const d = norm([forward[0]! + u * right[0]! + v * down[0]!, forward[1]! + u * right[1]! + v * down[1]!, forward[2]! + u * right[2]! + v * down[2]!]);
      const colour = trace(eye, d);
      const o = (py * W + px) * 3;
      out[o] = colour[0];
      out[o + 1] = colour[1];
      out[o + 2] = colour[2];
    }
  }
  return out;
}

/** The colour a ray sees: the nearest of the box's faces and the floor, else a plain sky. */
function trace(o: number[], d: number[]): [number, number, number] {
  let best = Infinity;
  let colour: [number, number, number] = [150 + 40 * d[2]!, 170 + 40 * d[2]!, 200];
  const hit = (t: number, shade: number, s: number, t2: number, seed: number) => {
    if (t > 1e-6 && t < best) {
      best = t;
      colour = texture(s, t2, seed, shade);
    }
  };
  // The floor, z = 0.
  if (d[2]! < 0) {
    const t = -o[2]! / d[2]!;
    const x = o[0]! + t * d[0]!;
    const y = o[1]! + t * d[1]!;
    if (Math.abs(x) <= FLOOR && Math.abs(y) <= FLOOR) hit(t, 0.85, x, y, 1);
  }
  // The box's top, z = BOX.z.
  if (d[2]! < 0) {
    const t = (BOX.z - o[2]!) / d[2]!;
    const x = o[0]! + t * d[0]!;
    const y = o[1]! + t * d[1]!;
    if (Math.abs(x) <= BOX.x && Math.abs(y) <= BOX.y) hit(t, 1, x, y, 2);
  }
  // Its four sides.
  for (const sx of [-1, 1]) {
    const t = (sx * BOX.x - o[0]!) / d[0]!;
    const y = o[1]! + t * d[1]!;
    const z = o[2]! + t * d[2]!;
    if (Math.abs(y) <= BOX.y && z >= 0 && z <= BOX.z) hit(t, sx > 0 ? 0.9 : 0.7, y, z, 3 + sx);
  }
  for (const sy of [-1, 1]) {
    const t = (sy * BOX.y - o[1]!) / d[1]!;
    const x = o[0]! + t * d[0]!;
    const z = o[2]! + t * d[2]!;
    if (Math.abs(x) <= BOX.x && z >= 0 && z <= BOX.z) hit(t, sy > 0 ? 0.8 : 0.6, x, z, 7 + sy);
  }
  return colour;
}

/** Blocks of colour at two scales (a coarse one and a fine one), different on each surface. */
function texture(s: number, t: number, seed: number, shade: number): [number, number, number] {
  const coarse = hash(Math.floor(s * 5), Math.floor(t * 5), seed);
  const fine = hash(Math.floor(s * 17), Math.floor(t * 17), seed + 11);
  const c = [(coarse & 255) * 0.6 + (fine & 255) * 0.4, ((coarse >> 8) & 255) * 0.6 + ((fine >> 8) & 255) * 0.4, ((coarse >> 16) & 255) * 0.6 + ((fine >> 16) & 255) * 0.4];
  return [c[0]! * shade, c[1]! * shade, c[2]! * shade];
}

function hash(a: number, b: number, seed: number): number {
  let h = Math.imul(a, 374761393) ^ Math.imul(b, 668265263) ^ Math.imul(seed, 2246822519);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return (h ^ (h >>> 16)) >>> 0;
}

function distanceToSurface([x, y, z]: [number, number, number]): number {
  const floor = Math.abs(x) <= FLOOR && Math.abs(y) <= FLOOR ? Math.abs(z) : Infinity;
  // Distance to the box's surface: outside, to the box; inside, to the nearest face.
  const q = [Math.abs(x) - BOX.x, Math.abs(y) - BOX.y, Math.abs(z - BOX.z / 2) - BOX.z / 2];
  const outside = Math.hypot(Math.max(q[0]!, 0), Math.max(q[1]!, 0), Math.max(q[2]!, 0));
  const inside = Math.min(Math.max(q[0]!, q[1]!, q[2]!), 0);
  return Math.min(floor, Math.abs(outside + inside));
}

const sub = (a: number[], b: number[]) => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
const cross = (a: number[], b: number[]) => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const norm = (a: number[]) => {
  const l = Math.hypot(a[0]!, a[1]!, a[2]!);
  return [a[0]! / l, a[1]! / l, a[2]! / l];
};

/** A sparse model as COLMAP's `model_converter --output_type TXT` writes it: the points, and where each registered camera stood. */
export interface SparseModel {
  /** x, y, z of each point, in the model's own frame (COLMAP's: arbitrary origin and scale). */
  positions: Float32Array;
  /** r, g, b of each point, 0–1. */
  colors: Float32Array;
  /** Each point's mean reprojection error, in pixels. */
  errors: Float32Array;
  /** The registered images: their index (from their file name, viewFile), the centres of their cameras and the way each looks. */
  cameras: Array<{ image: number; center: [number, number, number]; looks: [number, number, number] }>;
}

/** The file an image is given for COLMAP: its index (0-based) in its name, which comes back with each registered camera. */
export const viewFile = (index: number, ext: string) => `view-${String(index + 1).padStart(4, '0')}.${ext}`;

/** The index of the image a file was named for by viewFile. */
const viewIndex = (name: string) => Number(/view-(\d+)/.exec(name)?.[1] ?? 0) - 1;

/** The largest extent of the cameras' centres along an axis: the model's scale, whatever COLMAP chose. */
export function cameraSpread(centres: Array<[number, number, number]>): number {
  return Math.max(...[0, 1, 2].map((k) => Math.max(...centres.map((p) => p[k]!)) - Math.min(...centres.map((p) => p[k]!))), 1e-6);
}

/** Reads `points3D.txt` and `images.txt`. */
export function parseSparseModel(points3D: string, images: string): SparseModel {
  const rows = points3D.split('\n').filter((l) => l && !l.startsWith('#'));
  const positions = new Float32Array(rows.length * 3);
  const colors = new Float32Array(rows.length * 3);
  const errors = new Float32Array(rows.length);
  rows.forEach((row, i) => {
    // POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[]
    const f = row.split(' ');
    for (let k = 0; k < 3; k++) {
      positions[i * 3 + k] = Number(f[1 + k]);
      colors[i * 3 + k] = Number(f[4 + k]) / 255;
    }
    errors[i] = Number(f[7]);
  });
  const cameras: SparseModel['cameras'] = [];
  const lines = images.split('\n').filter((l) => !l.startsWith('#'));
  // Two lines per image: IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME — then its 2D points.
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const f = lines[i]!.split(' ');
    if (f.length < 10) continue;
    const [qw, qx, qy, qz, tx, ty, tz] = f.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
    const r = rotation([qw, qx, qy, qz]);
    cameras.push({ image: viewIndex(f.slice(9).join(' ')), center: column(r, [tx, ty, tz], -1), looks: [r[2][0], r[2][1], r[2][2]] });
  }
  return { positions, colors, errors, cameras };
}

/** The world-to-camera rotation of a unit quaternion (COLMAP's QW, QX, QY, QZ). */
function rotation([w, x, y, z]: number[]): [[number, number, number], [number, number, number], [number, number, number]] {
  return [
    [1 - 2 * (y! * y! + z! * z!), 2 * (x! * y! - w! * z!), 2 * (x! * z! + w! * y!)],
    [2 * (x! * y! + w! * z!), 1 - 2 * (x! * x! + z! * z!), 2 * (y! * z! - w! * x!)],
    [2 * (x! * z! - w! * y!), 2 * (y! * z! + w! * x!), 1 - 2 * (x! * x! + y! * y!)],
  ];
}

/** `sign` × Rᵀt: with −1, a camera's centre from its rotation and translation. */
function column(r: number[][], [tx, ty, tz]: number[], sign: number): [number, number, number] {
  return [0, 1, 2].map((c) => sign * (r[0]![c]! * tx! + r[1]![c]! * ty! + r[2]![c]! * tz!)) as [number, number, number];
}

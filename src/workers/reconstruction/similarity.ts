export type V3 = [number, number, number];

/**
 * The similarity (scale, rotation, translation) that best maps points `from` onto `to` in the
 * least-squares sense — Horn's closed form with unit quaternions (the rotation is the eigenvector
 * of the largest eigenvalue of a 4×4 symmetric matrix, found here by power iteration on it shifted
 * to be positive). A reconstruction's frame and scale are its own: this brings one onto another
 * (a later model onto the first, through the cameras they share; or a model onto the truth).
 */
export function similarity(from: V3[], to: V3[]): (p: V3) => V3 {
  const n = from.length;
  const mean = (ps: V3[]) => [0, 1, 2].map((k) => ps.reduce((s, p) => s + p[k]!, 0) / n) as V3;
  const [ca, cb] = [mean(from), mean(to)];
  const a = from.map((p) => p.map((v, k) => v - ca[k]!) as V3);
  const b = to.map((p) => p.map((v, k) => v - cb[k]!) as V3);
  const S = [0, 1, 2].map((i) => [0, 1, 2].map((j) => a.reduce((s, p, k) => s + p[i]! * b[k]![j]!, 0)));
  const [[xx, xy, xz], [yx, yy, yz], [zx, zy, zz]] = S as [V3, V3, V3];
  const N = [
    [xx + yy + zz, yz - zy, zx - xz, xy - yx],
    [yz - zy, xx - yy - zz, xy + yx, zx + xz],
    [zx - xz, xy + yx, -xx + yy - zz, yz + zy],
    [xy - yx, zx + xz, yz + zy, -xx - yy + zz],
  ];
  const shift = N.reduce((s, row) => s + row.reduce((t, v) => t + Math.abs(v), 0), 0);
  let q = [1, 0.1, 0.1, 0.1];
  for (let it = 0; it < 500; it++) {
    const next = N.map((row, i) => row.reduce((s, v, j) => s + v * q[j]!, 0) + shift * q[i]!);
    const len = Math.hypot(...next);
    q = next.map((v) => v / len);
  }
  const [w, x, y, z] = q as [number, number, number, number];
  const R = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
  ];
  const rotate = (p: V3) => R.map((row) => row[0]! * p[0] + row[1]! * p[1] + row[2]! * p[2]) as V3;
  const spread = (ps: V3[]) => Math.sqrt(ps.reduce((s, p) => s + p[0] ** 2 + p[1] ** 2 + p[2] ** 2, 0));
  const scale = spread(b) / spread(a);
  return (p) => {
    const r = rotate(p.map((v, k) => v - ca[k]!) as V3);
    return r.map((v, k) => v * scale + cb[k]!) as V3;
  };
}

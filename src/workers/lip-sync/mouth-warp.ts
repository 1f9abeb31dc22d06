import type { MouthLandmarks } from '../face-mesh.ts';

/** How far the jaw drops at the widest, as a fraction of the mouth's width (speech rarely opens more). */
const WIDEST = 0.36;
const MOUTH = [46, 14, 18] as const;
const TEETH = [226, 220, 208] as const;

/**
 * Opens a face's mouth in a still image by moving its jaw: the pixels from the mouth line to the
 * chin are pulled down by the opening, fully near the lips and fading out to the sides and below
 * the chin (where the neck stays), and the gap left between the lips is painted as the inside of
 * a mouth (dark, with a band of upper teeth once it is wide enough). Each frame starts again from
 * the still image, so nothing drifts.
 */
export class MouthWarp {
  private readonly cx: number;
  private readonly mouthLine: number;
  private readonly halfWidth: number;
  private readonly jaw: number;
  private readonly bottom: number;
  private readonly widest: number;
  private readonly x0: number;
  private readonly x1: number;

  /** `extraBelow`: pixels more below the chin that move with the jaw (the document's bottom pad). */
  constructor(
    private readonly image: Buffer,
    private readonly width: number,
    height: number,
    mouth: MouthLandmarks,
    extraBelow = 0,
  ) {
    this.cx = (mouth.left[0] + mouth.right[0]) / 2;
    this.halfWidth = Math.max(4, (mouth.right[0] - mouth.left[0]) / 2);
    this.mouthLine = Math.round((mouth.upperLip[1] + mouth.lowerLip[1]) / 2);
    this.jaw = Math.max(this.halfWidth * 0.5, mouth.chin[1] - this.mouthLine);
    this.widest = Math.min(WIDEST * 2 * this.halfWidth, 0.45 * this.jaw);
    this.bottom = Math.min(height - 1, Math.round(mouth.chin[1] + 0.5 * this.jaw + extraBelow + this.widest));
    this.x0 = Math.max(0, Math.floor(this.cx - 2 * this.halfWidth));
    this.x1 = Math.min(width - 1, Math.ceil(this.cx + 2 * this.halfWidth));
  }

  /** Writes the frame with the mouth `opening` (0–1) open, its lips `round` (0 spread – 1 rounded: a narrower opening), into `out` (RGB, the image's size). */
  frame(opening: number, out: Buffer, round = 0): void {
    this.image.copy(out);
    const drop = Math.max(0, Math.min(1, opening)) * this.widest;
    if (drop < 0.5) return;
    const { width, image, mouthLine, jaw, halfWidth, cx } = this;
    const chin = mouthLine + jaw;
    const fadeBelow = this.bottom - chin;
    for (let y = mouthLine; y <= this.bottom; y++) {
      // Below the chin the pull fades to nothing; across, it spans the lips at the mouth line and
      // widens towards the jaw's width at the chin.
      const wy = y <= chin ? 1 : fadeBelow > 0 ? cosineFade((y - chin) / fadeBelow) : 0;
      if (wy === 0) continue;
      const down = Math.min(1, (y - mouthLine) / jaw);
      const reach = halfWidth * (1 + down);
      for (let x = this.x0; x <= this.x1; x++) {
        const off = Math.abs(x - cx) / reach;
        // At the lips the opening is a lens (an ellipse's profile, closed at the corners); lower
        // down the jaw moves as one piece, fading only at its sides.
        const offLips = off / (1 - 0.4 * round);
        const lens = offLips >= 1 ? 0 : Math.sqrt(1 - offLips * offLips);
        const flat = off <= 0.7 ? 1 : off >= 1 ? 0 : cosineFade((off - 0.7) / 0.3);
        const d = drop * wy * (lens + (flat - lens) * down);
        if (d < 0.01) continue;
        const at = (y * width + x) * 3;
        const from = y - d;
        if (from < mouthLine) {
          // Between the lips: the inside of the mouth, teeth along the upper lip once it is open
          // enough; its edge blended over a pixel with the lip it meets.
          const depth = (y - mouthLine) / Math.max(d, 1);
          const teeth = drop > 5 && depth < 0.18 && off < 0.75;
          const colour = teeth ? TEETH : MOUTH;
          const shade = teeth ? 1 : 0.7 + 0.3 * off;
          const k = Math.min(1, mouthLine - from);
          const lip = (mouthLine * width + x) * 3;
          out[at] = colour[0] * shade * k + image[lip]! * (1 - k);
          out[at + 1] = colour[1] * shade * k + image[lip + 1]! * (1 - k);
          out[at + 2] = colour[2] * shade * k + image[lip + 2]! * (1 - k);
          continue;
        }
        // The jaw: the pixel that was `d` above, blended between the two rows it falls between.
        const row = Math.floor(from);
        const t = from - row;
        const a = (row * width + x) * 3;
        const b = a + width * 3;
        out[at] = image[a]! * (1 - t) + image[b]! * t;
        out[at + 1] = image[a + 1]! * (1 - t) + image[b + 1]! * t;
        out[at + 2] = image[a + 2]! * (1 - t) + image[b + 2]! * t;
      }
    }
  }
}

/** 1 at 0, easing to 0 at 1. */
const cosineFade = (t: number) => 0.5 + 0.5 * Math.cos(Math.PI * Math.min(1, Math.max(0, t)));

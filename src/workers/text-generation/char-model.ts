import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The tiny character-level transformer of models/charlm (trained by models/charlm/train.py), run in
 * plain TypeScript one character at a time with a key/value cache. The forward pass mirrors the
 * PyTorch module exactly: embeddings, pre-norm blocks (causal attention, tanh-GELU MLP), final
 * LayerNorm, logits through the tied token embedding.
 */

interface Header {
  vocab: string;
  d: number;
  heads: number;
  layers: number;
  block: number;
  tensors: Array<{ name: string; shape: number[]; offset: number }>;
}

interface Layer {
  ln1w: Float32Array;
  ln1b: Float32Array;
  qkvW: Float32Array;
  qkvB: Float32Array;
  projW: Float32Array;
  projB: Float32Array;
  ln2w: Float32Array;
  ln2b: Float32Array;
  fc1W: Float32Array;
  fc1B: Float32Array;
  fc2W: Float32Array;
  fc2B: Float32Array;
}

export const MODEL_DIR = join(import.meta.dirname, '..', '..', '..', 'models', 'charlm');

export class CharModel {
  readonly vocab: string;
  readonly d: number;
  readonly heads: number;
  readonly block: number;
  private readonly tok: Float32Array;
  private readonly pos: Float32Array;
  private readonly layers: Layer[];
  private readonly lnFw: Float32Array;
  private readonly lnFb: Float32Array;
  private readonly index = new Map<string, number>();

  constructor(dir = MODEL_DIR) {
    const header = JSON.parse(readFileSync(join(dir, 'charlm.json'), 'utf8')) as Header;
    const bin = readFileSync(join(dir, 'charlm.bin'));
    const all = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
    const t = (name: string) => {
      const spec = header.tensors.find((x) => x.name === name);
      if (!spec) throw new Error(`charlm.bin has no tensor ${name}`);
      return all.subarray(spec.offset, spec.offset + spec.shape.reduce((a, b) => a * b, 1));
    };
    this.vocab = header.vocab;
    this.d = header.d;
    this.heads = header.heads;
    this.block = header.block;
    [...this.vocab].forEach((c, i) => this.index.set(c, i));
    this.tok = t('tok.weight');
    this.pos = t('pos.weight');
    this.layers = Array.from({ length: header.layers }, (_, i) => {
      const p = `blocks.${i}.`;
      return {
        ln1w: t(`${p}ln1.weight`),
        ln1b: t(`${p}ln1.bias`),
        qkvW: t(`${p}qkv.weight`),
        qkvB: t(`${p}qkv.bias`),
        projW: t(`${p}proj.weight`),
        projB: t(`${p}proj.bias`),
        ln2w: t(`${p}ln2.weight`),
        ln2b: t(`${p}ln2.bias`),
        fc1W: t(`${p}fc1.weight`),
        fc1B: t(`${p}fc1.bias`),
        fc2W: t(`${p}fc2.weight`),
        fc2B: t(`${p}fc2.bias`),
      };
    });
    this.lnFw = t('ln_f.weight');
    this.lnFb = t('ln_f.bias');
  }

  /** Characters the model does not know are dropped from a prompt. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const c of text) {
      const i = this.index.get(c);
      if (i !== undefined) out.push(i);
    }
    return out;
  }

  /** A generation session: feed characters, then sample one at a time. */
  session(): Generation {
    return new Generation(this);
  }

  /** @internal One step of the forward pass for token `id` at position `t`, using and extending the cache. */
  step(id: number, t: number, cache: Float32Array[][]): Float32Array {
    const { d, heads } = this;
    const hd = d / heads;
    const x = new Float32Array(d);
    for (let i = 0; i < d; i++) x[i] = this.tok[id * d + i]! + this.pos[t * d + i]!;
    const h = new Float32Array(d);
    const qkv = new Float32Array(3 * d);
    const att = new Float32Array(d);
    const tmp = new Float32Array(d);
    const mlp = new Float32Array(4 * d);
    this.layers.forEach((L, li) => {
      layerNorm(x, L.ln1w, L.ln1b, h);
      matVec(L.qkvW, L.qkvB, h, qkv, 3 * d, d);
      const [keys, values] = cache[li] as [Float32Array, Float32Array];
      keys.set(qkv.subarray(d, 2 * d), t * d);
      values.set(qkv.subarray(2 * d, 3 * d), t * d);
      const scale = 1 / Math.sqrt(hd);
      const scores = new Float32Array(t + 1);
      for (let hh = 0; hh < heads; hh++) {
        const off = hh * hd;
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += qkv[off + i]! * keys[s * d + off + i]!;
          scores[s] = dot * scale;
          if (scores[s]! > max) max = scores[s]!;
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) sum += scores[s] = Math.exp(scores[s]! - max);
        for (let i = 0; i < hd; i++) {
          let acc = 0;
          for (let s = 0; s <= t; s++) acc += scores[s]! * values[s * d + off + i]!;
          att[off + i] = acc / sum;
        }
      }
      matVec(L.projW, L.projB, att, tmp, d, d);
      for (let i = 0; i < d; i++) x[i] = x[i]! + tmp[i]!;
      layerNorm(x, L.ln2w, L.ln2b, h);
      matVec(L.fc1W, L.fc1B, h, mlp, 4 * d, d);
      for (let i = 0; i < 4 * d; i++) mlp[i] = gelu(mlp[i]!);
      matVec(L.fc2W, L.fc2B, mlp, tmp, d, 4 * d);
      for (let i = 0; i < d; i++) x[i] = x[i]! + tmp[i]!;
    });
    layerNorm(x, this.lnFw, this.lnFb, h);
    const V = this.vocab.length;
    const logits = new Float32Array(V);
    for (let v = 0; v < V; v++) {
      let acc = 0;
      for (let i = 0; i < d; i++) acc += this.tok[v * d + i]! * h[i]!;
      logits[v] = acc;
    }
    return logits;
  }

  /** @internal */
  newCache(): Float32Array[][] {
    return this.layers.map(() => [new Float32Array(this.block * this.d), new Float32Array(this.block * this.d)]);
  }
}

/** Feeding and sampling with a cache; when the context window fills, it restarts from its second half. */
export class Generation {
  private cache: Float32Array[][];
  private context: number[] = [];
  private logits: Float32Array | null = null;

  constructor(private readonly model: CharModel) {
    this.cache = model.newCache();
  }

  feed(ids: number[]): void {
    for (const id of ids) this.push(id);
  }

  private push(id: number): void {
    if (this.context.length === this.model.block) {
      // Window full: keep the most recent half and rebuild the cache from it.
      const keep = this.context.slice(-Math.floor(this.model.block / 2));
      this.context = [];
      this.cache = this.model.newCache();
      for (const k of keep) this.logits = this.model.step(k, this.context.push(k) - 1, this.cache);
    }
    this.logits = this.model.step(id, this.context.push(id) - 1, this.cache);
  }

  /** Samples the next character (temperature, top-k), feeds it back, and returns it. */
  next(temperature = 0.8, topK = 20, random: () => number = Math.random): string {
    if (!this.logits) this.push(this.model.encode('\n')[0] ?? 0);
    const logits = this.logits!;
    const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, Math.max(1, topK));
    const t = Math.max(temperature, 1e-3);
    const max = logits[order[0]!]!;
    const weights = order.map((i) => Math.exp((logits[i]! - max) / t));
    let r = random() * weights.reduce((a, b) => a + b, 0);
    let pick = order[0]!;
    for (let k = 0; k < order.length; k++) {
      r -= weights[k]!;
      if (r <= 0) {
        pick = order[k]!;
        break;
      }
    }
    this.push(pick);
    return this.model.vocab[pick]!;
  }
}

function matVec(W: Float32Array, b: Float32Array, x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let acc = b[r]!;
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc += W[base + c]! * x[c]!;
    out[r] = acc;
  }
}

function layerNorm(x: Float32Array, w: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + 1e-5);
  for (let i = 0; i < n; i++) out[i] = (x[i]! - mean) * inv * w[i]! + b[i]!;
}

/** The tanh approximation of GELU, as trained (`approximate="tanh"`). */
function gelu(v: number): number {
  return 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
}

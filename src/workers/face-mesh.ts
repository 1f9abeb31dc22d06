import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A face's 468-point mesh from Human (@vladmandic/human, MIT): BlazeFace finds the face, FaceMesh
 * places the points; both models ship inside the npm package (models/), run on TensorFlow.js's
 * WebAssembly backend (no native TensorFlow to download). Loaded once per process, on first use.
 */

/** The mesh points the mouth warp needs, in image pixels (x, y). */
export interface MouthLandmarks {
  /** Inner upper lip, centre (mesh 13): where the mouth opens. */
  upperLip: [number, number];
  /** Inner lower lip, centre (mesh 14). */
  lowerLip: [number, number];
  /** Mouth corners (mesh 61 and 291). */
  left: [number, number];
  right: [number, number];
  /** Chin (mesh 152): the jaw moves with the lower lip, down to here and a little beyond. */
  chin: [number, number];
  /** The face's box [x, y, width, height] and the detector's confidence. */
  box: [number, number, number, number];
  score: number;
}

interface HumanResult {
  face: Array<{ box: [number, number, number, number]; score: number; mesh: Array<[number, number, number]> }>;
}
interface HumanInstance {
  /** The mesh's triangles: indices into its 468 points, three at a time. */
  faceTriangulation: number[];
  load(): Promise<void>;
  detect(input: unknown): Promise<HumanResult>;
  tf: { tensor4d(values: Int32Array, shape: number[], dtype: 'int32'): { dispose(): void } };
}

const require = createRequire(import.meta.url);
// The package's `exports` map does not name its Node-WASM build (nor package.json): found by path.
const HUMAN_DIR = join(dirname(require.resolve('@vladmandic/human')), '..');
const WASM_DIR = `${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'dist')}/`;

let loading: Promise<HumanInstance> | undefined;

/** The detector, loaded once (~100 ms; the first detection then takes ~150 ms more, later ones ~50). */
function human(): Promise<HumanInstance> {
  loading ??= (async () => {
    const { Human } = require(join(HUMAN_DIR, 'dist', 'human.node-wasm.js')) as { Human: new (config: object) => HumanInstance };
    const instance = new Human({
      backend: 'wasm',
      wasmPath: WASM_DIR,
      modelBasePath: pathToFileURL(join(HUMAN_DIR, 'models', '/')).href,
      debug: false,
      face: {
        enabled: true,
        detector: { rotation: false, maxDetected: 1 },
        mesh: { enabled: true },
        iris: { enabled: false },
        emotion: { enabled: false },
        description: { enabled: false },
        antispoof: { enabled: false },
        liveness: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
      filter: { enabled: false },
    });
    await withFileFetch(() => instance.load());
    return instance;
  })();
  return loading;
}

/**
 * Human's Node-WASM build reads its models with `fetch`, which has no `file:` scheme in Node: while
 * it loads, file URLs are read from disk (only those; everything else goes to the real fetch).
 */
async function withFileFetch<T>(run: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith('file:')) return real(input, init);
    return new Response(await readFile(new URL(url)));
  }) as typeof fetch;
  try {
    return await run();
  } finally {
    globalThis.fetch = real;
  }
}

/** The most prominent face in an RGB image: its 468 mesh points (x, y in pixels; z, depth on the same scale, negative nearer), triangles, box and confidence. */
export interface FaceMesh {
  mesh: Array<[number, number, number]>;
  triangles: number[];
  box: [number, number, number, number];
  score: number;
}

export async function findFace(rgb: Uint8Array, width: number, height: number): Promise<FaceMesh | null> {
  const h = await human();
  const tensor = h.tf.tensor4d(Int32Array.from(rgb), [1, height, width, 3], 'int32');
  try {
    const face = (await h.detect(tensor)).face[0];
    if (!face || face.mesh.length < 468) return null;
    return { mesh: face.mesh, triangles: h.faceTriangulation, box: face.box, score: face.score };
  } finally {
    tensor.dispose();
  }
}

/** The mouth of the most prominent face in an RGB image, or null when there is none. */
export async function findMouth(rgb: Uint8Array, width: number, height: number): Promise<MouthLandmarks | null> {
  const face = await findFace(rgb, width, height);
  if (!face) return null;
  const at = (i: number): [number, number] => [face.mesh[i]![0], face.mesh[i]![1]];
  return { upperLip: at(13), lowerLip: at(14), left: at(61), right: at(291), chin: at(152), box: face.box, score: face.score };
}

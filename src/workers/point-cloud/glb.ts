/** One drawable of a GLB: coloured points, or line segments (pairs of positions). */
export interface GlbPart {
  name: string;
  mode: 'points' | 'lines';
  positions: Float32Array;
  /** Float RGB, one per position. */
  colors: Float32Array;
}

/**
 * Writes a glTF 2.0 binary (GLB) of one point cloud: a single mesh primitive in POINTS mode with
 * POSITION and COLOR_0 (float RGB). Any glTF viewer (three.js, Blender, model-viewer) opens it.
 */
export function pointCloudGlb(positions: Float32Array, colors: Float32Array, generator = 'Spaceport point-cloud worker'): Buffer {
  return sceneGlb([{ name: 'point cloud', mode: 'points', positions, colors }], generator);
}

/** Writes a GLB of several parts, each a node with one mesh of one primitive (POINTS or LINES). Small enough to write by hand. */
export function sceneGlb(parts: GlbPart[], generator: string): Buffer {
  const layout = bufferLayout();
  const accessors: object[] = [];
  const meshes = parts.map((part) => {
    const count = part.positions.length / 3;
    if (part.colors.length !== part.positions.length) throw new Error('one colour per point');
    accessors.push({ bufferView: layout.add(bytesOf(part.positions), ARRAY_BUFFER), componentType: 5126, count, type: 'VEC3', ...(count > 0 && boundsOf(part.positions)) });
    accessors.push({ bufferView: layout.add(bytesOf(part.colors), ARRAY_BUFFER), componentType: 5126, count, type: 'VEC3' });
    return { name: part.name, primitives: [{ attributes: { POSITION: accessors.length - 2, COLOR_0: accessors.length - 1 }, mode: part.mode === 'points' ? 0 : 1 }] };
  });
  const json = {
    asset: { version: '2.0', generator },
    scene: 0,
    scenes: [{ nodes: parts.map((_, i) => i) }],
    nodes: parts.map((part, i) => ({ mesh: i, name: part.name })),
    meshes,
    buffers: [{ byteLength: layout.byteLength() }],
    bufferViews: layout.bufferViews,
    accessors,
  };
  return glbOf(json, layout.bin());
}

/** glTF's buffer view targets: vertex attributes, and indices. */
const ARRAY_BUFFER = 34962;
const ELEMENT_ARRAY_BUFFER = 34963;

/** The binary chunk as it is laid out: each piece added is a buffer view of its own, 4-byte aligned; `add` answers its index. */
function bufferLayout() {
  const pieces: Buffer[] = [];
  const bufferViews: object[] = [];
  let offset = 0;
  return {
    bufferViews,
    add(bytes: Buffer, target?: number): number {
      bufferViews.push({ buffer: 0, byteOffset: offset, byteLength: bytes.length, ...(target !== undefined && { target }) });
      const padded = pad(bytes, 0);
      pieces.push(padded);
      offset += padded.length;
      return bufferViews.length - 1;
    },
    byteLength: () => offset,
    bin: () => Buffer.concat(pieces),
  };
}

/** The GLB container: a header, the JSON chunk, the binary chunk. */
function glbOf(json: object, bin: Buffer): Buffer {
  const jsonChunk = pad(Buffer.from(JSON.stringify(json)), 0x20);
  const binChunk = pad(bin, 0);
  const total = 12 + 8 + jsonChunk.length + 8 + binChunk.length;
  const header = Buffer.alloc(12);
  header.writeUInt32LE(0x46546c67, 0); // "glTF"
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(total, 8);
  return Buffer.concat([header, chunkHeader(jsonChunk.length, 0x4e4f534a), jsonChunk, chunkHeader(binChunk.length, 0x004e4942), binChunk]);
}

function boundsOf(positions: Float32Array): { min: number[]; max: number[] } {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i++) {
    const axis = i % 3;
    if (positions[i]! < min[axis]!) min[axis] = positions[i]!;
    if (positions[i]! > max[axis]!) max[axis] = positions[i]!;
  }
  return { min, max };
}

function chunkHeader(length: number, type: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(length, 0);
  b.writeUInt32LE(type, 4);
  return b;
}

/** Chunks are 4-byte aligned: JSON padded with spaces, binary with zeros. */
function pad(b: Buffer, fill: number): Buffer {
  const extra = (4 - (b.length % 4)) % 4;
  return extra ? Buffer.concat([b, Buffer.alloc(extra, fill)]) : b;
}

function bytesOf(a: Float32Array): Buffer {
  // glTF is little endian, as is every machine Node runs on that we support.
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A triangle mesh with one texture: positions, texture coordinates (0–1, v down), triangle indices, and the image. */
export interface TexturedMesh {
  positions: Float32Array;
  uvs: Float32Array;
  indices: Uint16Array;
  image: Buffer;
  mime: 'image/png' | 'image/jpeg';
}

/** Writes a GLB of one textured triangle mesh (unlit, so the photograph shows as it was taken). */
export function texturedMeshGlb(mesh: TexturedMesh, name: string, generator: string): Buffer {
  const layout = bufferLayout();
  const positions = layout.add(bytesOf(mesh.positions), ARRAY_BUFFER);
  const uvs = layout.add(bytesOf(mesh.uvs), ARRAY_BUFFER);
  const indices = layout.add(Buffer.from(mesh.indices.buffer, mesh.indices.byteOffset, mesh.indices.byteLength), ELEMENT_ARRAY_BUFFER);
  const image = layout.add(mesh.image);
  const count = mesh.positions.length / 3;
  const json = {
    asset: { version: '2.0', generator },
    extensionsUsed: ['KHR_materials_unlit'],
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0, name }],
    meshes: [{ name, primitives: [{ attributes: { POSITION: 0, TEXCOORD_0: 1 }, indices: 2, material: 0, mode: 4 }] }],
    materials: [{ pbrMetallicRoughness: { baseColorTexture: { index: 0 }, metallicFactor: 0, roughnessFactor: 1 }, doubleSided: true, extensions: { KHR_materials_unlit: {} } }],
    textures: [{ source: 0, sampler: 0 }],
    samplers: [{ magFilter: 9729, minFilter: 9729 }],
    images: [{ bufferView: image, mimeType: mesh.mime }],
    buffers: [{ byteLength: layout.byteLength() }],
    bufferViews: layout.bufferViews,
    accessors: [
      { bufferView: positions, componentType: 5126, count, type: 'VEC3', ...boundsOf(mesh.positions) },
      { bufferView: uvs, componentType: 5126, count, type: 'VEC2' },
      { bufferView: indices, componentType: 5123, count: mesh.indices.length, type: 'SCALAR' },
    ],
  };
  return glbOf(json, layout.bin());
}

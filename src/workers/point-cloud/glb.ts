/**
 * Writes a glTF 2.0 binary (GLB) holding one point cloud: a single mesh primitive in POINTS mode
 * with POSITION and COLOR_0 (float RGB). Small enough to write by hand, and any glTF viewer
 * (three.js, Blender, model-viewer) opens it.
 */
export function pointCloudGlb(positions: Float32Array, colors: Float32Array, generator = 'Spaceport point-cloud worker'): Buffer {
  const count = positions.length / 3;
  if (colors.length !== positions.length) throw new Error('one colour per point');
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i++) {
    const axis = i % 3;
    if (positions[i]! < min[axis]!) min[axis] = positions[i]!;
    if (positions[i]! > max[axis]!) max[axis] = positions[i]!;
  }
  const positionBytes = positions.byteLength;
  const colorBytes = colors.byteLength;
  const json = {
    asset: { version: '2.0', generator },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0, name: 'point cloud' }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0, COLOR_0: 1 }, mode: 0 }] }],
    buffers: [{ byteLength: positionBytes + colorBytes }],
    bufferViews: [
      { buffer: 0, byteOffset: 0, byteLength: positionBytes, target: 34962 },
      { buffer: 0, byteOffset: positionBytes, byteLength: colorBytes, target: 34962 },
    ],
    accessors: [
      { bufferView: 0, componentType: 5126, count, type: 'VEC3', ...(count > 0 && { min, max }) },
      { bufferView: 1, componentType: 5126, count, type: 'VEC3' },
    ],
  };
  const jsonChunk = pad(Buffer.from(JSON.stringify(json)), 0x20);
  const binChunk = pad(Buffer.concat([bytesOf(positions), bytesOf(colors)]), 0);
  const total = 12 + 8 + jsonChunk.length + 8 + binChunk.length;
  const header = Buffer.alloc(12);
  header.writeUInt32LE(0x46546c67, 0); // "glTF"
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(total, 8);
  return Buffer.concat([header, chunkHeader(jsonChunk.length, 0x4e4f534a), jsonChunk, chunkHeader(binChunk.length, 0x004e4942), binChunk]);
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

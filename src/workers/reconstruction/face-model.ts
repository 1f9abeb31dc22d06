import sharp from 'sharp';
import { findFace } from '../face-mesh.ts';
import { texturedMeshGlb } from '../point-cloud/glb.ts';

/** The photograph is looked at, and kept as the texture, at most this large. */
const MAX_SIDE = 1024;

/**
 * One portrait → its face as a 3D mesh: Human's FaceMesh (468 points with depth, 880 triangles)
 * placed in metres-ish units (the face's box is 1 wide, y up, nearer points towards +z) and
 * textured with the photograph itself, each point at its own pixel. Null when there is no face.
 */
export async function faceModel(photo: Buffer): Promise<{ glb: Buffer; metadata: Record<string, unknown> } | null> {
  const image = sharp(photo).rotate().resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true });
  const { data, info } = await image.clone().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const face = await findFace(data, info.width, info.height);
  if (!face) return null;
  const [bx, by, bw, bh] = face.box;
  const [cx, cy, scale] = [bx + bw / 2, by + bh / 2, Math.max(bw, 1)];
  const positions = new Float32Array(face.mesh.length * 3);
  const uvs = new Float32Array(face.mesh.length * 2);
  face.mesh.forEach(([x, y, z], i) => {
    positions.set([(x - cx) / scale, -(y - cy) / scale, -z / scale], i * 3);
    uvs.set([x / info.width, y / info.height], i * 2);
  });
  const texture = await image.jpeg({ quality: 90 }).toBuffer();
  const glb = texturedMeshGlb({ positions, uvs, indices: Uint16Array.from(face.triangles), image: texture, mime: 'image/jpeg' }, 'face', 'Spaceport reconstruction worker (Human FaceMesh)');
  return {
    glb,
    metadata: {
      method: 'face mesh from one portrait (Human FaceMesh: 468 points with depth), textured with the photograph',
      reconstruction: 'face-mesh',
      num_frames: 1,
      num_points: face.mesh.length,
      num_triangles: face.triangles.length / 3,
      face_score: Math.round(face.score * 100) / 100,
      glb_size_bytes: glb.length,
    },
  };
}

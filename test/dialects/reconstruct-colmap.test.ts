import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import { portrait } from '../helpers/portrait.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { sceneViews } from '../helpers/scene-views.ts';
import { similarity } from '../../src/workers/reconstruction/similarity.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

// The reconstruct document's flow (shared/seeds/004) with enough views for a real reconstruction:
// 24 photographs of a made-up scene, COLMAP on the built-in worker, and the points it returns
// checked against the scene's surfaces once its cameras are aligned with the true ones.
let gw: TestGateway;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['images-to-3d']));
}, 60_000);
afterAll(() => stop?.());

/** The first primitive's positions and the glTF JSON of a GLB. */
function glbPoints(glb: Buffer): { json: any; points: Array<[number, number, number]> } {
  const jsonLength = glb.readUInt32LE(12);
  const json = JSON.parse(glb.subarray(20, 20 + jsonLength).toString('utf8'));
  const bin = glb.subarray(20 + jsonLength + 8);
  const accessor = json.accessors[json.meshes[0].primitives[0].attributes.POSITION];
  const view = json.bufferViews[accessor.bufferView];
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset + view.byteOffset, bin.byteOffset + view.byteOffset + view.byteLength));
  const points: Array<[number, number, number]> = [];
  for (let i = 0; i < floats.length; i += 3) points.push([floats[i]!, floats[i + 1]!, floats[i + 2]!]);
  return { json, points };
}

describe('images-to-3d with one portrait', () => {
  it('gives the face as a textured mesh: 468 points with depth (the nose nearer than the cheeks), the photograph as its texture', async () => {
    const session = await (await fetch(`${gw.url}/ws/session/create`, { method: 'POST' })).json();
    const ws = await WsPeer.open(`${gw.ws}/ws/reconstruct/${session.session_id}`);
    await ws.wait('connected', (m) => m.type === 'connected');
    ws.send({ type: 'image', data: (await portrait(400)).toString('base64'), filename: 'me.jpg' });
    await ws.next('ack', (m) => m.type === 'ack' || m.type === 'error');
    ws.send({ type: 'generate' });
    const complete = await ws.wait('complete', (m) => m.type === 'complete' || m.type === 'error', 60_000);
    expect(complete.type).toBe('complete');
    expect(complete.metadata).toMatchObject({ reconstruction: 'face-mesh', num_points: 468, num_triangles: 880 });
    const glb = Buffer.from(complete.glb_base64, 'base64');
    const { json, points } = glbPoints(glb);
    expect(json.meshes[0].primitives[0].mode).toBe(4); // TRIANGLES
    expect(json.accessors[json.meshes[0].primitives[0].indices].count).toBe(880 * 3);
    expect(json.images[0].mimeType).toBe('image/jpeg');
    expect(points).toHaveLength(468);
    // Mesh 1 is the nose tip, 234 and 454 the cheeks at the face's sides.
    expect(points[1]![2]).toBeGreaterThan(points[234]![2] + 0.2);
    expect(points[1]![2]).toBeGreaterThan(points[454]![2] + 0.2);
    ws.close();
  }, 90_000);
});

describe('images-to-3d with COLMAP', () => {
  it('reconstructs 24 views: ≥ 20 cameras registered where they stood, points on the scene’s surfaces, cameras in the GLB', async () => {
    const scene = await sceneViews(24);
    const session = await (await fetch(`${gw.url}/ws/session/create?max_images=30&num_max_points=100000`, { method: 'POST' })).json();
    const ws = await WsPeer.open(`${gw.ws}/ws/reconstruct/${session.session_id}`);
    await ws.wait('connected', (m) => m.type === 'connected');
    for (const [i, img] of scene.images.entries()) {
      ws.send({ type: 'image', data: img.toString('base64'), filename: `view${i}.jpg` });
      await ws.next('ack', (m) => m.type === 'ack' || m.type === 'error');
    }
    ws.send({ type: 'generate', incremental: false });
    const complete = await ws.wait('complete', (m) => m.type === 'complete' || m.type === 'error', 150_000);
    expect(complete.type).toBe('complete');
    const meta = complete.metadata;
    expect(meta).toMatchObject({ reconstruction: 'colmap', num_frames: 24 });
    expect(meta.method).toContain('COLMAP');
    expect(meta.num_cameras_registered).toBeGreaterThanOrEqual(20);
    expect(meta.mean_reprojection_error_px).toBeLessThan(2);
    // Progress came from COLMAP's stages, in order.
    const messages = ws.of('progress').map((p) => String(p.message ?? ''));
    expect(messages.some((m) => m.startsWith('features'))).toBe(true);
    expect(messages.some((m) => m.startsWith('registered'))).toBe(true);

    // Align the reconstruction's cameras with where the cameras really stood.
    const registered = meta.cameras as Array<{ image: number; center: [number, number, number] }>;
    const toScene = similarity(
      registered.map((c) => c.center),
      registered.map((c) => scene.cameras[c.image]!),
    );
    const cameraError = registered.map((c) => Math.hypot(...toScene(c.center).map((v, k) => v - scene.cameras[c.image]![k]!)));
    expect(Math.max(...cameraError)).toBeLessThan(0.1); // the cameras stand 3.4 from the middle

    const glb = Buffer.from(complete.glb_base64, 'base64');
    const { json, points } = glbPoints(glb);
    expect(points.length).toBe(meta.num_points);
    expect(points.length).toBeGreaterThan(1000);
    expect(json.meshes.map((m: { name: string }) => m.name)).toEqual(['points', 'cameras']);
    expect(json.meshes[1].primitives[0].mode).toBe(1); // LINES
    // The points lie on the floor and the box: most within 2 cm of a surface of a scene 5 m wide.
    const distances = points.map((p) => scene.distanceToSurface(toScene(p))).sort((a, b) => a - b);
    expect(distances[Math.floor(distances.length * 0.9)]!).toBeLessThan(0.02);
    ws.close();
  }, 200_000);

  it('grows the model with incremental generates: each delta adds the new cameras and points, all in one frame', async () => {
    const scene = await sceneViews(24);
    const session = await (await fetch(`${gw.url}/ws/session/create?max_images=30`, { method: 'POST' })).json();
    const ws = await WsPeer.open(`${gw.ws}/ws/reconstruct/${session.session_id}`);
    await ws.wait('connected', (m) => m.type === 'connected');
    const deltas: any[] = [];
    for (const half of [scene.images.slice(0, 12), scene.images.slice(12)]) {
      for (const img of half) {
        ws.send({ type: 'image', data: img.toString('base64'), filename: 'view.jpg' });
        await ws.next('ack', (m) => m.type === 'ack' || m.type === 'error');
      }
      ws.send({ type: 'generate', incremental: true });
      deltas.push(await ws.next('delta', (m) => m.type === 'delta' || m.type === 'error', 150_000));
    }
    expect(deltas.map((d) => d.type)).toEqual(['delta', 'delta']);
    expect(deltas[0].metadata).toMatchObject({ reconstruction: 'colmap', incremental: true, num_frames: 12, restarted: false });
    expect(deltas[1].metadata).toMatchObject({ reconstruction: 'colmap', incremental: true, num_frames: 24, restarted: false });
    const cameras = deltas.flatMap((d) => d.metadata.cameras as Array<{ image: number; center: [number, number, number] }>);
    // Each camera is sent once: the second delta brings the second half's.
    expect(new Set(cameras.map((c) => c.image)).size).toBe(cameras.length);
    expect(cameras.length).toBeGreaterThanOrEqual(20);
    expect(deltas[1].metadata.cameras.every((c: { image: number }) => c.image >= 12)).toBe(true);
    // One frame for both: aligned once, every camera stands where it stood and every delta's points lie on the scene.
    const toScene = similarity(
      cameras.map((c) => c.center),
      cameras.map((c) => scene.cameras[c.image]!),
    );
    expect(Math.max(...cameras.map((c) => Math.hypot(...toScene(c.center).map((v, k) => v - scene.cameras[c.image]![k]!))))).toBeLessThan(0.1);
    for (const d of deltas) {
      const { points } = glbPoints(Buffer.from(d.glb_base64, 'base64'));
      expect(points.length).toBeGreaterThan(200);
      const distances = points.map((p) => scene.distanceToSurface(toScene(p))).sort((a, b) => a - b);
      expect(distances[Math.floor(distances.length * 0.9)]!).toBeLessThan(0.02);
    }
    ws.close();
  }, 300_000);
});

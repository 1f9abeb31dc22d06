import { cameraSpread, type SparseModel } from './colmap-model.ts';
import { cellOf, camerasByImage, type SessionViews } from './session-views.ts';
import { similarity, type V3 } from './similarity.ts';

/**
 * What a new model of a growing session adds to what was sent before, in the frame of the first
 * model sent (so a client that puts the deltas together gets one scene): the new model is brought
 * onto that frame through the cameras both registered, then only its points in cells no earlier
 * delta filled, and its cameras not sent before, go. With fewer than 3 shared cameras it cannot be
 * placed: the session starts again from it (`restarted`).
 */
export function deltaOf(session: SessionViews, model: SparseModel): { delta: SparseModel; restarted: boolean } {
  const cameras = camerasByImage(model);
  const shared = [...cameras.keys()].filter((i) => session.cameras.has(i));
  const restarted = session.cameras.size > 0 && shared.length < 3;
  if (restarted || session.cameras.size === 0) {
    session.sent.clear();
    session.cameras.clear();
    // Cells of 1% of the cameras' spread: points closer than that to one already sent add nothing.
    session.cell = cameraSpread([...cameras.values()]) * 0.01;
  }
  const onto =
    session.cameras.size === 0
      ? (p: V3) => p
      : similarity(
          shared.map((i) => cameras.get(i)!),
          shared.map((i) => session.cameras.get(i)!),
        );
  const positions: number[] = [];
  const colors: number[] = [];
  const errors: number[] = [];
  for (let i = 0; i < model.positions.length / 3; i++) {
    const p = onto([model.positions[i * 3]!, model.positions[i * 3 + 1]!, model.positions[i * 3 + 2]!]);
    const key = cellOf(p, session.cell);
    if (session.sent.has(key)) continue;
    session.sent.add(key);
    positions.push(...p);
    colors.push(model.colors[i * 3]!, model.colors[i * 3 + 1]!, model.colors[i * 3 + 2]!);
    errors.push(model.errors[i]!);
  }
  const newCameras: SparseModel['cameras'] = [];
  for (const c of model.cameras) {
    if (session.cameras.has(c.image)) continue;
    const center = onto(c.center);
    const ahead = onto([c.center[0] + c.looks[0], c.center[1] + c.looks[1], c.center[2] + c.looks[2]]);
    const length = Math.hypot(ahead[0] - center[0], ahead[1] - center[1], ahead[2] - center[2]) || 1;
    session.cameras.set(c.image, center);
    newCameras.push({ image: c.image, center, looks: [(ahead[0] - center[0]) / length, (ahead[1] - center[1]) / length, (ahead[2] - center[2]) / length] });
  }
  return { delta: { positions: new Float32Array(positions), colors: new Float32Array(colors), errors: new Float32Array(errors), cameras: newCameras }, restarted };
}

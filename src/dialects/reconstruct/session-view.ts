import type { Session } from '../../core/types.ts';

/** A session as the reconstruction document's REST answers show it. */
export function sessionView(s: Session, withImages = true): Record<string, unknown> {
  return {
    session_id: s.id,
    status: s.status,
    space: s.space,
    num_images: s.images.length,
    max_images: s.max_images,
    process_res: s.options.process_res,
    num_max_points: s.options.num_max_points,
    created_at: new Date(s.created_at).toISOString(),
    expires_at: new Date(s.expires_at).toISOString(),
    jobs: s.job_ids,
    websocket_url: `/ws/reconstruct/${s.id}`,
    ...(withImages && { images: s.images.map((i) => ({ filename: i.name, image_path: imagePath(i.blob), size: i.size, mime: i.mime })) }),
  };
}

/** Where an uploaded image can be fetched again. */
export const imagePath = (blob: string) => `/v1/blobs/${blob}`;

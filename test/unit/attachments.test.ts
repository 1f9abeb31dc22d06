import { describe, expect, it } from 'vitest';
import { LiveBlobs } from '../../src/engine/embedded/live-blobs.ts';
import { Attachments } from '../../src/server/ws/attachments.ts';

const header = (ref: string, index: number) => ({ ref, index });

describe('Attachments: parts read into lent memory', () => {
  it('keeps a part being read when its upload times out, and gives it back when its frame ends', async () => {
    const ring = new LiveBlobs(1000, 60_000);
    const attachments = new Attachments(20, 1000);
    const upload = attachments.expect('job_1', [0, 1], 2, (size) => ring.reserve(size));
    upload.catch(() => {});
    const first = attachments.place(header('job_1', 0), 100)!;
    attachments.filled(header('job_1', 0), first);
    const second = attachments.place(header('job_1', 1), 200)!; // its frame is being read…
    expect(ring.pinned).toBe(2);
    await expect(upload).rejects.toMatchObject({ code: 'incomplete_upload' }); // …when the upload times out
    expect(ring.pinned).toBe(1); // the finished part went back; the one still being read did not
    attachments.filled(header('job_1', 1), second); // the rest of its frame arrived
    expect(ring.pinned).toBe(0);
  });

  it('gives every part back when the connection closes, one being read included', () => {
    const ring = new LiveBlobs(1000, 60_000);
    const attachments = new Attachments(60_000, 1000);
    void attachments.expect('job_2', [0], 1, (size) => ring.reserve(size)).catch(() => {});
    attachments.place(header('job_2', 0), 300);
    expect(ring.pinned).toBe(1);
    attachments.peerClosed();
    expect(ring.pinned).toBe(0);
  });

  it('refuses a part nothing announced, or announced twice', () => {
    const attachments = new Attachments(60_000, 1000);
    expect(() => attachments.place(header('nobody', 0), 10)).toThrow(/No message announced binary part 0/);
    void attachments.expect('job_3', [0], 1).catch(() => {});
    attachments.place(header('job_3', 0), 10);
    expect(() => attachments.place(header('job_3', 0), 10)).toThrow(/No message announced binary part 0/);
  });
});

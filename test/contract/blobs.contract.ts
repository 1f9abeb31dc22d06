import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { giveBack, isLent } from '../../src/protocol/lent-bytes.ts';
import type { MakeEngine } from './harness.ts';

const unique = (n: string) => `blob_${n}_${Math.random().toString(36).slice(2)}`;

/** The blobs port (src/core/ports/blobs.ts): files byte for byte, uploads until a job claims them, live media. */
export function blobsContract(name: string, makeEngine: MakeEngine): void {
  describe(`blobs port: ${name}`, () => {
    it('stores blobs byte for byte', async () => {
      const { engine } = await makeEngine();
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const id = unique('bytes');
      const meta = { id, name: 'b.bin', mime: 'application/octet-stream', size: 256, created_at: 1, job_id: null };
      await engine.putBlob(meta, bytes);
      const got = await engine.getBlob(id);
      expect(got!.bytes.equals(bytes)).toBe(true);
      expect(got!.meta).toMatchObject(meta);
      expect(await engine.getBlob('blob_none')).toBeNull();
      await engine.close();
    });

    it('deletes blobs by id, skipping unknown ones, and leaves the others', async () => {
      const { engine } = await makeEngine();
      const [a, b] = [unique('gone'), unique('kept')];
      for (const id of [a, b]) await engine.putBlob({ id, name: `${id}.bin`, mime: 'application/octet-stream', size: 3, created_at: Date.now(), job_id: 'job_never_taken' }, Buffer.from('abc'));
      await engine.deleteBlobs([a, 'blob_unknown']);
      expect(await engine.getBlob(a)).toBeNull();
      expect((await engine.getBlob(b))?.bytes.toString()).toBe('abc');
      await engine.close();
    });

    it('keeps uploads from their files, counts them per owner until a job claims them, and purges the unclaimed', async () => {
      const { engine } = await makeEngine();
      const dir = mkdtempSync(join(tmpdir(), 'spaceport-uploads-'));
      try {
        const put = async (id: string, text: string, createdAt: number) => {
          const file = join(dir, `${id}.part`);
          writeFileSync(file, text);
          await engine.putUpload({ id, name: `${id}.txt`, mime: 'text/plain', size: text.length, created_at: createdAt, job_id: null, owner: 'owner-1' }, file);
          expect(existsSync(file)).toBe(false); // the engine took the file over
        };
        const [kept, dropped, recent] = [unique('kept'), unique('dropped'), unique('recent')];
        await put(kept, 'claimed by a job', 1000);
        await put(dropped, 'nobody wants me', 1000);
        await put(recent, 'too new to purge', 5000);
        expect(await engine.uploadedBytes('owner-1')).toBe('claimed by a job'.length + 'nobody wants me'.length + 'too new to purge'.length);
        expect(await engine.uploadedBytes('owner-2')).toBe(0);
        expect((await engine.getBlob(kept))!.bytes.toString()).toBe('claimed by a job');
        await engine.claimUpload(kept, 'job_1');
        await engine.claimUpload(kept, 'job_2'); // already a job's: nothing changes
        expect(await engine.uploadedBytes('owner-1')).toBe('nobody wants me'.length + 'too new to purge'.length);
        expect((await engine.getBlob(kept))!.meta.job_id).toBe('job_1');
        expect(await engine.purgeUploadsBefore(2000)).toBe(1);
        expect(await engine.getBlob(dropped)).toBeNull();
        expect(await engine.getBlob(kept)).not.toBeNull();
        expect(await engine.getBlob(recent)).not.toBeNull();
        expect(await engine.uploadedBytes('owner-1')).toBe('too new to purge'.length);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await engine.close();
      }
    });

    it('holds live blobs (partial files) byte for byte, readable from every instance', async () => {
      const { engine, reopen, leasesSurviveReopen } = await makeEngine();
      const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 3) % 256));
      const id = unique('live');
      await engine.putLiveBlob({ id, name: 'f.jpg', mime: 'image/jpeg', size: bytes.length, created_at: 1, job_id: 'job_x' }, bytes);
      const held = await engine.getBlob(id);
      expect(held!.meta).toMatchObject({ id, name: 'f.jpg', size: 5000 });
      expect(held!.bytes.equals(bytes)).toBe(true);
      if (reopen && leasesSurviveReopen) {
        const other = await reopen();
        expect((await other.getBlob(id))!.bytes.equals(bytes)).toBe(true);
        await other.close();
      }
      await engine.close();
    });

    it('lends memory for a live file about to arrive, where it offers to: putLiveBlob keeps the bytes, whatever the memory holds after it is given back', async () => {
      const { engine } = await makeEngine();
      const reserved = engine.reserveLiveBlob?.(1000);
      if (!reserved) return void (await engine.close()); // optional
      expect(isLent(reserved)).toBe(true);
      reserved.fill(7);
      const id = unique('lent');
      await engine.putLiveBlob({ id, name: 'f.bin', mime: 'application/octet-stream', size: 1000, created_at: 1, job_id: 'job_y' }, reserved);
      giveBack(reserved); // as the worker endpoint does once the event is in
      engine.reserveLiveBlob!(1000)?.fill(9); // the next frame may be read into the same memory
      expect((await engine.getBlob(id))!.bytes.every((b) => b === 7)).toBe(true);
      if (engine.lendLiveBlob) {
        // An engine holding live media in its memory lends the file as held.
        const lent = engine.lendLiveBlob(id);
        expect(lent!.bytes.length).toBe(1000);
        expect(lent!.bytes.every((b) => b === 7)).toBe(true);
        expect(isLent(lent!.bytes)).toBe(true);
        giveBack(lent!.bytes);
        expect(engine.lendLiveBlob('blob_none')).toBeUndefined();
      }
      await engine.close();
    });

    it('reads a file into memory it lends, where it offers to, for one write that gives it back', async () => {
      const { engine } = await makeEngine();
      if (!engine.lendBlob) return void (await engine.close()); // optional
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
      const id = unique('read');
      await engine.putLiveBlob({ id, name: 'f.bin', mime: 'application/octet-stream', size: bytes.length, created_at: 1, job_id: 'job_z' }, bytes);
      const first = await engine.lendBlob(id);
      expect(first!.meta).toMatchObject({ id, size: bytes.length });
      expect(first!.bytes.equals(bytes)).toBe(true);
      expect(isLent(first!.bytes)).toBe(true);
      // Two at once are two memories: neither overwrites the other.
      const second = await engine.lendBlob(id);
      second!.bytes.fill(0);
      expect(first!.bytes.equals(bytes)).toBe(true);
      giveBack(first!.bytes);
      giveBack(second!.bytes);
      expect(await engine.lendBlob(unique('none'))).toBeNull();
      await engine.close();
    });
  });
}

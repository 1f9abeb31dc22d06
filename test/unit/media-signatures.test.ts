import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { mediaMismatch, sniffFormat } from '../../src/core/media-signatures.ts';

// Real files from real encoders: sharp for images, the packaged ffmpeg for audio and video.
const FFMPEG = join(createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/package.json'), '..', 'ffmpeg');
const dir = mkdtempSync(join(tmpdir(), 'spaceport-media-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ffmpeg = (name: string, args: string[]): Buffer => {
  const out = join(dir, name);
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args, out]);
  return readFileSync(out);
};
const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.2'];
const clip = ['-f', 'lavfi', '-i', 'testsrc=size=32x32:rate=5:duration=0.4'];

describe('media signatures, on files real encoders wrote', () => {
  const image = sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } });
  it.each([
    ['png', 'image', 'image/png', () => image.clone().png().toBuffer()],
    ['jpeg', 'image', 'image/jpeg', () => image.clone().jpeg().toBuffer()],
    ['webp', 'image', 'image/webp', () => image.clone().webp().toBuffer()],
    ['gif', 'image', 'image/gif', () => image.clone().gif().toBuffer()],
    ['tiff', 'image', 'image/tiff', () => image.clone().tiff().toBuffer()],
    ['wav', 'audio', 'audio/wav', () => ffmpeg('a.wav', tone)],
    ['mp3', 'audio', 'audio/mpeg', () => ffmpeg('a.mp3', [...tone, '-c:a', 'libmp3lame'])],
    ['isobmff', 'audio', 'audio/mp4', () => ffmpeg('a.m4a', [...tone, '-c:a', 'aac'])],
    ['adts', 'audio', 'audio/aac', () => ffmpeg('a.aac', [...tone, '-c:a', 'aac'])],
    ['flac', 'audio', 'audio/flac', () => ffmpeg('a.flac', tone)],
    ['isobmff', 'video', 'video/mp4', () => ffmpeg('v.mp4', [...clip, '-pix_fmt', 'yuv420p'])],
    ['ebml', 'video', 'video/webm', () => ffmpeg('v.webm', [...clip, '-c:v', 'libvpx', '-b:v', '100k'])],
    ['avi', 'video', 'video/x-msvideo', () => ffmpeg('v.avi', clip)],
    ['mpegts', 'video', 'video/mp2t', () => ffmpeg('v.ts', clip)],
  ] as const)(
    '%s as %s (%s)',
    async (format, kind, mime, make) => {
      const bytes = await make();
      expect(sniffFormat(bytes)).toBe(format);
      expect(mediaMismatch(kind, mime, bytes)).toBeNull();
      // The same bytes under a label of another format, or as another kind, are refused.
      expect(mediaMismatch(kind, kind === 'image' && format !== 'png' ? 'image/png' : kind === 'image' ? 'image/jpeg' : `${kind}/ogg`, bytes)).toMatch(/declared/);
      if (kind === 'image') expect(mediaMismatch('audio', 'audio/wav', bytes)).toMatch(/not audio/);
    },
    20_000,
  );

  it('refuses text dressed as media, and takes an SVG document as an image', () => {
    const script = Buffer.from('#!/bin/sh\necho hi\n');
    for (const kind of ['image', 'audio', 'video'] as const) expect(mediaMismatch(kind, `${kind}/x-anything`, script)).toMatch(/not a recognised/);
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
    expect(mediaMismatch('image', 'image/svg+xml', svg)).toBeNull();
    expect(mediaMismatch('image', 'image/png', svg)).toMatch(/declared image\/png but its bytes are SVG/);
  });
});

import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFfmpeg } from '../../src/workers/programs.ts';

describe('findFfmpeg', () => {
  it('takes SPACEPORT_FFMPEG first, then an ffmpeg on the PATH, and the bundled build only when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spaceport-ffmpeg-'));
    const system = join(dir, 'ffmpeg');
    writeFileSync(system, '#!/bin/sh\n');
    chmodSync(system, 0o755);
    expect(findFfmpeg({ SPACEPORT_FFMPEG: '/opt/ffmpeg', PATH: dir })).toBe('/opt/ffmpeg');
    expect(findFfmpeg({ PATH: `/nonexistent:${dir}` })).toBe(system);
    const bundled = findFfmpeg({ PATH: '/nonexistent' });
    // This machine is Linux x64, where the npm build exists: it is the fallback.
    if (process.platform === 'linux' && process.arch === 'x64') expect(bundled).toMatch(/@ffmpeg-installer\/linux-x64\/ffmpeg$/);
    else expect(bundled).toBeNull();
  });
});

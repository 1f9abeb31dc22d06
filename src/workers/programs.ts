import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

/**
 * The ffmpeg the video worker runs (a separate program: GPL, never linked). The system's first —
 * `SPACEPORT_FFMPEG`, else `ffmpeg` on the PATH (Debian's `ffmpeg` package, Homebrew's…), kept up
 * to date by its packager and built for the machine — and only then the static build from npm,
 * which exists for Linux x64 alone. Null when there is none: the worker says so when a job comes.
 */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SPACEPORT_FFMPEG) return env.SPACEPORT_FFMPEG;
  const onPath = findOnPath('ffmpeg', env);
  if (onPath) return onPath;
  try {
    const bundled = join(createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/package.json'), '..', 'ffmpeg');
    return process.platform === 'linux' && process.arch === 'x64' && executable(bundled) ? bundled : null;
  } catch {
    return null;
  }
}

/** A program on the PATH (the first executable of that name), or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const NO_FFMPEG = 'processing_error: no ffmpeg on this machine — install it (Debian: apt-get install ffmpeg; macOS: brew install ffmpeg) or point SPACEPORT_FFMPEG at one';

import { readFileSync } from 'node:fs';

export interface Instruction {
  op: string;
  /** The rest of the line, continuations joined. */
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

/** A Dockerfile's stages and their instructions (comments dropped, `\` continuations joined). */
export function readDockerfile(path: string): Stage[] {
  const joined = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, op, args] = m as unknown as [string, string, string];
    if (op === 'FROM') {
      const [from, , name] = args.trim().split(/\s+/);
      stages.push({ from: from!, ...(name && { name }), steps: [] });
    } else stages.at(-1)!.steps.push({ op, args: args.trim().replace(/\s+/g, ' ') });
  }
  return stages;
}

/** `ENV A=1 B=2` lines of a stage as one map. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of stage.steps.filter((s) => s.op === 'ENV')) for (const [, k, v] of s.args.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
  return env;
}

/** The stage's instructions of one kind. */
export const stepsOf = (stage: Stage, op: string): string[] => stage.steps.filter((s) => s.op === op).map((s) => s.args);

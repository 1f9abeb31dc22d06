import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis.ts';
import { pythonWith } from '../helpers/processes.ts';

/**
 * Every shell block of the README and the quick start, run as written against a fresh gateway
 * started by the docs' own command, in the order a reader meets them. Each block has a plan: run
 * it, start it in the background and wait until it is up, or skip it with the reason. A block the
 * plan does not know fails the test, so a new command in the docs gets run too. The only changes
 * to the text: `localhost:8000` becomes a free port (PORT is set for `npm start` to match).
 */
const ROOT = join(import.meta.dirname, '..', '..');

type Plan =
  /** Run in the reader's shell (its variables and exports stay for the next blocks), then `check`. */
  | { starts: string; run: true; check?: string }
  /** Start in the background (its first `lines` only, when set); `up` is the glue that waits until it serves. */
  | { starts: string; background: string; up: string; lines?: number }
  | { starts: string; skip: string };

interface Block {
  line: number;
  text: string;
}

function shellBlocks(doc: string): Block[] {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The code block of `lang` right before the shell block that runs it (the file the docs say to save). */
function codeBefore(doc: string, block: Block, lang: string): string {
  const lines = readFileSync(join(ROOT, doc), 'utf8')
    .split('\n')
    .slice(0, block.line - 1);
  const start = lines.lastIndexOf('```' + lang);
  return lines.slice(start + 1, lines.indexOf('```', start + 1)).join('\n');
}

const GLUE = `
set -euo pipefail
wait_for() { # file text: until the file has the text (60 s)
  for _ in $(seq 1 600); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
}
healthy() { for _ in $(seq 1 600); do curl -sf "localhost:$PORT/health" >/dev/null && return 0; sleep 0.1; done; echo "not healthy"; return 1; }
workers_of() { curl -s "localhost:$PORT/v1/spaces" | node -pe 'JSON.parse(require("fs").readFileSync(0)).spaces.find((s) => s.space === process.argv[1])?.workers ?? 0' "$1"; }
has_workers() { # space n: until the space has n workers
  for _ in $(seq 1 600); do [ "$(workers_of "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  echo "$1 has $(workers_of "$1") workers, not $2"; return 1
}
`;

const dirs: string[] = [];
const groups: number[] = [];
afterAll(() => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Runs a doc's blocks by its plan in a scratch directory that looks like a fresh checkout (the
 * repository's files linked in, no .spaceport), as one bash script in its own process group.
 */
async function runDoc(doc: string, plans: Plan[], extra: { files?: Record<string, string>; env?: Record<string, string> } = {}): Promise<{ code: number; output: string }> {
  const blocks = shellBlocks(doc);
  expect(
    blocks.map((b) => b.text.split('\n')[0]!.trim().slice(0, 40)),
    `${doc}'s shell blocks and their plans`,
  ).toEqual(plans.map((p) => expect.stringMatching(`^${literally(p.starts)}`)));
  const port = await freePort();
  const scratch = mkdtempSync(join(tmpdir(), 'spaceport-docs-'));
  dirs.push(scratch);
  for (const name of readdirSync(ROOT)) if (!['.spaceport', '.git', 'dist', 'test-artifacts'].includes(name)) symlinkSync(join(ROOT, name), join(scratch, name));
  for (const [name, text] of Object.entries(extra.files ?? {})) writeFileSync(join(scratch, name), text.replaceAll('localhost:8000', `localhost:${port}`));
  const logs = join(scratch, 'logs');
  mkdirSync(logs);
  let script = GLUE;
  plans.forEach((plan, i) => {
    const file = join(logs, `block-${i + 1}.sh`);
    const text = 'lines' in plan && plan.lines ? blocks[i]!.text.split('\n').slice(0, plan.lines).join('\n') : blocks[i]!.text;
    writeFileSync(file, text.replaceAll('localhost:8000', `localhost:${port}`) + '\n');
    script += `\necho "== ${doc}:${blocks[i]!.line}"\n`;
    if ('skip' in plan) script += `echo "skipped: ${plan.skip}"\n`;
    else if ('run' in plan) script += `source ${file}\n${plan.check ?? ''}\n`;
    else script += `bash ${file} > ${logs}/block-${i + 1}.log 2>&1 &\n${plan.up.replaceAll('$LOG', `${logs}/block-${i + 1}.log`)}\n`;
  });
  script += '\necho "== all blocks done"\n';
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), ...extra.env };
  delete env.SPACEPORT_ADMIN_TOKEN;
  delete env.SPACEPORT_DATA;
  const child = spawn('bash', ['-c', script], { cwd: scratch, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  groups.push(child.pid!);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
  // Everything it started (the gateway, workers) goes with its group.
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {}
  return { code, output };
}

const literally = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A virtual environment first on the PATH, so the docs' `pip install` and `python3` use it. */
async function venvPath(): Promise<string> {
  const python = pythonWith('venv, ensurepip');
  if (!python) throw new Error('no python3 with venv and ensurepip (Debian: python3-venv)');
  const venv = mkdtempSync(join(tmpdir(), 'spaceport-docs-venv-'));
  dirs.push(venv);
  await promisify(execFile)(python, ['-m', 'venv', venv]);
  return `${join(venv, 'bin')}:${process.env.PATH}`;
}

describe('the docs’ commands, run as written', () => {
  it('README: the gateway from the two commands, then "Try it in a minute" — the job waits, a worker comes, the event stream ends with the result', async () => {
    const { code, output } = await runDoc('README.md', [
      {
        starts: 'bash scripts/setup.sh && npm start',
        // The first line starts the gateway; the second is `npm test`, the suite this test is part of.
        background: 'the gateway',
        lines: 1,
        up: 'wait_for $LOG "Spaceport listening" && healthy',
      },
      {
        starts: 'TOKEN=$(cat .spaceport/admin-token)',
        background: 'the space, the job and its event stream',
        up: String.raw`wait_for $LOG "event: queued"
          npx spaceport worker --host "http://localhost:$PORT" --spaces echo --token "$(cat .spaceport/admin-token)" --exec 'python3 -c "import json,sys; print(json.load(sys.stdin)[\"prompt\"])"' > worker.log 2>&1 &
          wait_for $LOG "event: result"
          grep -q '"text":"hello' $LOG`,
      },
      { starts: 'npm install ./spaceport-0.1.0.tgz', skip: 'needs the packed tarball: test/integration/distribution.test.ts installs one and runs npx spaceport serve' },
    ]);
    // Of the two commands only the first runs here: keep the block to exactly those two lines.
    expect(shellBlocks('README.md')[0]!.text.split('\n')).toHaveLength(2);
    expect(output, output).toContain('== all blocks done');
    expect(code).toBe(0);
  }, 180_000);

  it('the quick start, section by section: gateway, space and token, a no-code worker, submit, the TypeScript and Python workers, the remote app', async () => {
    const quickstart = 'docs/quickstart.md';
    const blocks = shellBlocks(quickstart);
    const { code, output } = await runDoc(
      quickstart,
      [
        { starts: 'bash scripts/setup.sh', background: 'the gateway', up: 'wait_for $LOG "Spaceport listening" && healthy' },
        { starts: 'export ADMIN=change-me', run: true, check: 'echo "$SPACEPORT_TOKEN" | grep -q "^spw_"' },
        { starts: 'npx spaceport worker', background: 'the --exec worker', up: 'wait_for $LOG "registered as" && has_workers echo 1' },
        { starts: 'npx spaceport submit echo', run: true },
        { starts: 'node --import ./src/runtime/register.mjs', background: 'the TypeScript worker', up: 'has_workers echo 2' },
        { starts: 'pip install ./python', run: true, check: 'python3 -c "import spaceport"' },
        { starts: 'python3 my_worker.py', background: 'the Python worker', up: 'wait_for $LOG "registered as" && has_workers echo 3' },
        { starts: 'python3 python/example_websocket_app.py', background: 'the remote app', up: 'wait_for $LOG "Registration successful" && has_workers echo 4' },
      ],
      {
        files: { 'my-worker.ts': codeBefore(quickstart, blocks[4]!, 'ts'), 'my_worker.py': codeBefore(quickstart, blocks[6]!, 'python') },
        env: { PATH: await venvPath(), PYTHONUNBUFFERED: '1' },
      },
    );
    expect(output, output).toContain('== all blocks done');
    expect(code).toBe(0);
    // What `spaceport submit` printed: the words streamed back by the --exec worker.
    const submitted = output.slice(output.indexOf(`== ${quickstart}:${blocks[3]!.line}`), output.indexOf(`== ${quickstart}:${blocks[4]!.line}`));
    expect(submitted).toMatch(/hello\s+out\s+there/);
  }, 180_000);
});

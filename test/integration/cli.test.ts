import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { runCommand, runTs, type Proc } from '../helpers/processes.ts';
import { sdkClient, sdkWorker } from '../helpers/sdk.ts';

let gw: TestGateway;
const procs: Proc[] = [];
const dir = mkdtempSync(join(tmpdir(), 'spaceport-cli-'));

beforeAll(async () => {
  gw = await testGateway();
});
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  await gw.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `spaceport worker …` as a process; resolves once it printed its registration. */
async function cliWorker(space: string, ...mode: string[]): Promise<Proc> {
  await gw.createSpace({ name: space, inputs: ['prompt', 'files'] });
  const proc = runTs('src/cli/main.ts', ['worker', '--host', gw.url, '--spaces', space, '--token', ADMIN_TOKEN, ...mode]);
  procs.push(proc);
  await proc.waitFor(/registered as \S+ with 1 slot\(s\): \S+ \(space_/);
  return proc;
}

describe('spaceport worker --exec', () => {
  it('runs the command per job: job JSON on stdin, stdout lines stream as tokens, a final JSON line is the result', async () => {
    const script = join(dir, 'words.py');
    writeFileSync(
      script,
      ['import json, sys', 'job = json.load(sys.stdin)', 'words = job["prompt"].split()', 'for w in words: print(w, flush=True)', 'print(json.dumps({"words": len(words), "user": job["user"]}))'].join(
        '\n',
      ),
    );
    const worker = await cliWorker('exec-words', '--exec', `python3 ${script}`);
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('exec-words', { prompt: 'one two three' });
    const tokens: string[] = [];
    job.on((e) => e.type === 'token' && tokens.push(e.text));
    expect((await job.result()).data).toEqual({ words: 3, user: 'admin' });
    expect(tokens).toEqual(['one\n', 'two\n', 'three\n']);
    await worker.waitFor(/job \S+ finished in \d+\.\d+ s/);
    client.close();
  });

  it('streams each line the moment it is printed (only a line that is JSON waits: it may be the result)', async () => {
    await cliWorker('exec-live', '--exec', `python3 -c "import time; print('first', flush=True); time.sleep(30)"`);
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('exec-live', { prompt: 'x' });
    const tokens: string[] = [];
    job.on((e) => e.type === 'token' && tokens.push(e.text));
    await until('the first line, while the command still runs', () => tokens.length > 0 || undefined);
    expect(tokens).toEqual(['first\n']);
    await job.cancel();
    await expect(job.result()).rejects.toMatchObject({ code: 'cancelled' });
    client.close();
  });

  it('fails the job with the end of stderr when the command exits non-zero, and gives input files as paths', async () => {
    await cliWorker('exec-fail', '--exec', "python3 -c \"import json,sys; j=json.load(sys.stdin); print(open(j['files'][0]['path']).read()); sys.exit('bad input: ' + j['files'][0]['name'])\"");
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('exec-fail', { files: [{ name: 'notes.txt', mime: 'text/plain', data: Buffer.from('file contents') }] });
    const tokens: string[] = [];
    job.on((e) => e.type === 'token' && tokens.push(e.text));
    await expect(job.result()).rejects.toMatchObject({ code: 'worker_error', message: expect.stringContaining('bad input: notes.txt') });
    expect(tokens.join('')).toContain('file contents');
    client.close();
  });

  it('kills the command when the job is cancelled', async () => {
    const pidFile = join(dir, 'sleeper.pid');
    const worker = await cliWorker('exec-cancel', '--exec', `echo $$ > ${pidFile}; echo started; exec sleep 30`);
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('exec-cancel', { prompt: 'x' });
    await new Promise<void>((resolve) => job.on((e) => e.type === 'started' && resolve()));
    await worker.waitFor('received');
    await new Promise((r) => setTimeout(r, 300));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await job.cancel();
    await expect(job.result()).rejects.toMatchObject({ code: 'cancelled' });
    await worker.waitFor(/job \S+ cancelled in/);
    expect(() => process.kill(pid, 0)).toThrow(); // the process is gone
    client.close();
  });
});

describe('spaceport worker --handler', () => {
  it('loads the module and serves with its handler', async () => {
    await cliWorker('handler-shout', '--handler', 'test/fixtures/shout-handler.mjs');
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('handler-shout', { prompt: 'hey' });
    const text: string[] = [];
    for await (const t of job.tokens()) text.push(t);
    expect(text).toEqual(['H', 'E', 'Y']);
    expect((await job.result()).data).toEqual({ shouted: 'HEY', space: 'handler-shout' });
    client.close();
  });
});

describe('spaceport worker --openai', () => {
  it('forwards the prompt to an OpenAI-compatible server and streams its deltas as tokens', async () => {
    const upstream = runTs('test/fixtures/openai-server.ts', []);
    procs.push(upstream);
    const port = JSON.parse(await upstream.waitFor(/\{"event":"listening"[^\n]*\}/)).port;
    await cliWorker('openai-relay', '--openai', `http://127.0.0.1:${port}/v1`, '--model', 'tiny-test');
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('openai-relay', { prompt: 'red green blue', options: { temperature: 0.5, system: 'be brief' } });
    const tokens: string[] = [];
    for await (const t of job.tokens()) tokens.push(t);
    expect(tokens).toEqual(['blue', ' green', ' red']);
    expect((await job.result()).data).toEqual({ text: 'blue green red', model: 'tiny-test', finish_reason: 'stop' });
    const sent = JSON.parse((await upstream.waitFor(/request [^\n]+/)).slice(8));
    expect(sent).toMatchObject({
      model: 'tiny-test',
      stream: true,
      temperature: 0.5,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'red green blue' },
      ],
    });
    client.close();
  });
});

describe('spaceport worker refusals', () => {
  it('exits with a clear message for an unknown space', async () => {
    const proc = runTs('src/cli/main.ts', ['worker', '--host', gw.url, '--spaces', 'no-such-space', '--token', ADMIN_TOKEN, '--exec', 'cat']);
    procs.push(proc);
    expect(await proc.exited()).toBe(1);
    expect(proc.output()).toMatch(/registration refused \(4004\)/);
  });
});

const ROOT = join(import.meta.dirname, '..', '..');

describe('spaceport submit', () => {
  it('streams tokens to stdout, status to stderr, writes result files to --out, exits 0', async () => {
    await gw.createSpace({ name: 'submit-cli', inputs: ['prompt', 'files'] });
    const worker = await sdkWorker(gw.url, 'submit-cli', ADMIN_TOKEN);
    procs.push(worker);
    const input = join(dir, 'data.bin');
    writeFileSync(input, Buffer.from([1, 2, 3, 4, 5]));
    const out = join(dir, 'out');
    const proc = runTs('src/cli/main.ts', ['submit', 'submit-cli', '--host', gw.url, '--token', ADMIN_TOKEN, '--prompt', 'count 5 5']);
    expect(await proc.exited()).toBe(0);
    expect(proc.output()).toContain('t0 t1 t2 t3 t4 ');
    expect(proc.output()).toMatch(/job \S+ accepted, number 1 in the queue/); // 1-based, as people count

    const withFile = runTs('src/cli/main.ts', ['submit', 'submit-cli', '--host', gw.url, '--token', ADMIN_TOKEN, '--prompt', 'echo', '--file', input, '--option', 'n=3', '--out', out]);
    expect(await withFile.exited()).toBe(0);
    expect([...readFileSync(join(out, 'reversed-data.bin'))]).toEqual([5, 4, 3, 2, 1]);
    expect(withFile.output()).toContain('"echo": "echo"');
  });

  it('exits 1 with the error code when the job fails', async () => {
    const proc = runTs('src/cli/main.ts', ['submit', 'submit-cli', '--host', gw.url, '--token', ADMIN_TOKEN, '--prompt', 'fail']);
    expect(await proc.exited()).toBe(1);
    expect(proc.output()).toMatch(/worker_error: the model is on fire/);
  });

  it('on a terminal, keeps the progress bar off the tokens: the streamed text arrives whole', async () => {
    await gw.createSpace({ name: 'submit-tty', inputs: ['prompt'] });
    const handler = runTs('src/cli/main.ts', ['worker', '--host', gw.url, '--spaces', 'submit-tty', '--handler', 'test/fixtures/progress-handler.mjs'], { SPACEPORT_TOKEN: ADMIN_TOKEN });
    procs.push(handler);
    await handler.waitFor('registered as');
    // `script` gives the command a pseudo-terminal for stdout and stderr, as a person's shell would.
    const command = [
      process.execPath,
      '--import',
      join(ROOT, 'src/runtime/register.mjs'),
      join(ROOT, 'src/cli/main.ts'),
      'submit',
      'submit-tty',
      '--host',
      gw.url,
      '--token',
      ADMIN_TOKEN,
      '--prompt',
      "'alpha beta gamma delta'",
    ].join(' ');
    const proc = runCommand('script', ['-qfec', command, '/dev/null']);
    expect(await proc.exited()).toBe(0);
    const screen = proc.output();
    expect(screen).toContain('[####'); // the bar was drawn (before the first token)
    expect(screen).toContain('alpha beta gamma delta '); // and never drawn over the text
  });

  it('says what went wrong in words: a bad key is unauthorized, an unknown space is not found', async () => {
    const bad = runTs('src/cli/main.ts', ['submit', 'submit-cli', '--host', gw.url, '--token', 'sk_not_a_key', '--prompt', 'x']);
    expect(await bad.exited()).toBe(1);
    expect(bad.output()).toMatch(/unauthorized: the API key .* is not valid/);
    const missing = runTs('src/cli/main.ts', ['submit', 'no-such-space', '--host', gw.url, '--token', ADMIN_TOKEN, '--prompt', 'x']);
    expect(await missing.exited()).toBe(1);
    expect(missing.output()).toContain('space not found: no space is named "no-such-space"');
  });

  it('cancels the job on Ctrl-C (SIGINT) and exits 130', async () => {
    const proc = runTs('src/cli/main.ts', ['submit', 'submit-cli', '--host', gw.url, '--token', ADMIN_TOKEN, '--prompt', 'hang']);
    const id = (await proc.waitFor(/job \S+ accepted/)).split(' ')[1]!;
    await proc.waitFor('started on');
    proc.child.kill('SIGINT');
    expect(await proc.exited()).toBe(130);
    const job = await gw.admin('GET', `/v1/jobs/${id}`);
    expect(job.body.state).toBe('cancelled');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/sdk/worker/serve.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway, twoInstances } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { runPython, runTs, type Proc } from '../helpers/processes.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

/**
 * How a space presents itself (docs/spaces.md#presentation): output kind, options schema and
 * examples, set by an admin or declared by a worker at registration; the gateway refuses options
 * that break the schema on every submit path, on both engines.
 */
let gw: TestGateway;
let redis: TestRedis;
let viaRedis: [TestGateway, TestGateway];
const procs: Proc[] = [];
const dir = mkdtempSync(join(tmpdir(), 'spaceport-presentation-'));

beforeAll(async () => {
  gw = await testGateway();
  redis = await startRedis();
  viaRedis = await twoInstances(redis, 'presentation');
});
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  await Promise.all([gw.stop(), ...viaRedis.map((g) => g.stop())]);
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const SCHEMA = {
  type: 'object',
  properties: {
    temperature: { type: 'number', minimum: 0, maximum: 2, default: 0.7, title: 'Temperature' },
    steps: { type: 'integer', minimum: 1, maximum: 50 },
    style: { type: 'string', enum: ['plain', 'fancy'] },
    loud: { type: 'boolean' },
    pads: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 },
  },
  required: ['steps'],
};

/** Each refused options object, and the words its error must carry. */
const REFUSED: Array<[Record<string, unknown>, string]> = [
  [{}, 'options.steps is required'],
  [{ steps: 2.5 }, 'options.steps must be an integer'],
  [{ steps: 3, temperature: 9 }, 'options.temperature must be a number from 0 to 2'],
  [{ steps: 3, temperature: '1' }, 'options.temperature must be a number'],
  [{ steps: 3, style: 'loud' }, 'options.style must be one of plain, fancy'],
  [{ steps: 3, loud: 'yes' }, 'options.loud must be true or false'],
  [{ steps: 3, pads: [1] }, 'options.pads must have at least 2 items'],
  [{ steps: 3, pads: [1, 'x'] }, 'options.pads[1] must be an integer'],
];

describe('set by an admin', () => {
  it('shows on the space, and refuses options that break the schema over /v1/ws and HTTP, keeping the connection', async () => {
    const examples = [{ label: 'Calm', prompt: 'hello', options: { steps: 4, temperature: 0.2 } }];
    await gw.createSpace({ name: 'shaped', inputs: ['prompt'], output: 'text', options_schema: SCHEMA, examples });
    const shown = (await gw.http('GET', '/v1/spaces/shaped')).body;
    expect(shown).toMatchObject({ output: 'text', options_schema: SCHEMA, examples });

    const client = await gw.client();
    for (const [i, [options, words]] of REFUSED.entries()) {
      client.send({ type: 'submit', id: `bad-${i}`, space: 'shaped', prompt: 'p', options });
      const refusal = await client.wait('the refusal', (m) => m.type === 'error' && m.id === `bad-${i}`);
      expect(refusal).toMatchObject({ code: 'invalid_options' });
      expect(refusal.message).toContain(words);
      const http = await gw.http('POST', '/v1/jobs', { space: 'shaped', prompt: 'p', options });
      expect(http.status).toBe(400);
      expect(http.body.error).toMatchObject({ code: 'invalid_options' });
    }
    // Options it does not name pass (additionalProperties is not false): the worker gets them all.
    const worker = await gw.worker(['shaped']);
    const options = { steps: 3, temperature: 1.5, style: 'fancy', loud: true, pads: [0, 8], extra: { any: 'thing' } };
    client.send({ type: 'submit', id: 'good', space: 'shaped', prompt: 'p', options });
    await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'good');
    expect((await worker.next('job', (m) => m.type === 'job')).options).toEqual(options);
    worker.close();
    client.close();
  });

  it('refuses a schema that is not the supported subset, naming where; null clears a field', async () => {
    const bad: Array<[unknown, string]> = [
      [{ type: 'object', properties: { t: { type: 'number', minimum: 0, maximum: 1, default: 3 } } }, 'options_schema.properties.t.default'],
      [{ type: 'object', properties: { t: { type: 'date' } } }, 'options_schema.properties.t'],
      [{ type: 'object', properties: {}, required: ['missing'] }, 'options_schema.required'],
      [{ type: 'object', properties: { 'bad name!': { type: 'string' } } }, 'options_schema.properties'],
    ];
    for (const [schema, where] of bad) {
      const res = await gw.admin('POST', '/v1/admin/spaces', { name: `bad-${Math.random().toString(36).slice(2, 8)}`, options_schema: schema });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(where);
    }
    expect((await gw.admin('POST', '/v1/admin/spaces', { name: 'bad-output', output: 'hologram' })).status).toBe(400);
    expect((await gw.admin('POST', '/v1/admin/spaces', { name: 'bad-example', examples: [{ files: [{ url: 'file:///etc/passwd', name: 'x' }] }] })).status).toBe(400);

    await gw.createSpace({ name: 'closed', inputs: ['prompt'], options_schema: { type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false } });
    const refused = await gw.http('POST', '/v1/jobs', { space: 'closed', prompt: 'p', options: { m: 1 } });
    expect(refused.body.error.message).toContain('options.m is not an option of this space (it takes n)');
    const cleared = await gw.admin('PATCH', '/v1/admin/spaces/closed', { options_schema: null });
    expect(cleared.body.options_schema).toBeUndefined();
    expect((await gw.http('POST', '/v1/jobs', { space: 'closed', prompt: 'p', options: { m: 1 } })).status).toBe(202);
  });
});

describe('declared by a worker', () => {
  it('the TS SDK declares at registration; the space takes it, and a reconnect with the same words changes nothing', async () => {
    await gw.createSpace({ name: 'declared', inputs: ['prompt'], output: 'json' });
    const declare = { declared: { output: 'text' as const, options_schema: { type: 'object' as const, properties: { n: { type: 'integer' as const, minimum: 1 } } } } };
    const worker = serve({ host: gw.url, spaces: ['declared'], token: ADMIN_TOKEN, handleSignals: false, declare }, async (job) => ({ n: job.options.n }));
    await worker.ready;
    const space = (await gw.admin('GET', '/v1/admin/spaces/declared')).body;
    expect(space).toMatchObject({ output: 'text', options_schema: declare.declared.options_schema });
    expect((await gw.http('POST', '/v1/jobs', { space: 'declared', prompt: 'p', options: { n: 0 } })).body.error.code).toBe('invalid_options');
    worker.close();
    const again = serve({ host: gw.url, spaces: ['declared'], token: ADMIN_TOKEN, handleSignals: false, declare }, async () => 'ok');
    await again.ready;
    expect((await gw.admin('GET', '/v1/admin/spaces/declared')).body.updated_at).toBe(space.updated_at);
    again.close();
  });

  it('is refused from open registration (serving, not redefining) and for a space not registered into', async () => {
    await gw.createSpace({ name: 'open', inputs: ['prompt'], open_registration: true });
    const { WsPeer } = await import('../helpers/ws-peer.ts');
    const stranger = await WsPeer.open(`${gw.url.replace('http', 'ws')}/v1/worker`);
    stranger.send({ type: 'register', spaces: ['open'], slots: 1, declare: { open: { output: 'text' } } });
    expect(await stranger.wait('refusal', (m) => m.type === 'error')).toMatchObject({ code: 'forbidden' });
    const other = await WsPeer.open(`${gw.url.replace('http', 'ws')}/v1/worker`);
    other.send({ type: 'register', token: ADMIN_TOKEN, spaces: ['open'], slots: 1, declare: { declared: { output: 'text' } } });
    expect(await other.wait('refusal', (m) => m.type === 'error')).toMatchObject({ code: 'invalid_message' });
    other.close();
    expect((await gw.http('GET', '/v1/spaces/open')).body.output).toBeUndefined();
  });

  it('the CLI (--declare) and the Python worker (--declare) declare from a JSON file', async () => {
    await gw.createSpace({ name: 'from-cli', inputs: ['prompt'] });
    await gw.createSpace({ name: 'from-python', inputs: ['prompt'] });
    const file = (space: string, output: string) => {
      const path = join(dir, `${space}.json`);
      writeFileSync(path, JSON.stringify({ [space]: { output, options_schema: { type: 'object', properties: { level: { type: 'integer', maximum: 3 } } } } }));
      return path;
    };
    const cli = runTs('src/cli/main.ts', ['worker', '--host', gw.url, '--spaces', 'from-cli', '--token', ADMIN_TOKEN, '--exec', 'cat', '--declare', file('from-cli', 'table')]);
    const python = runPython(['-m', 'spaceport.worker_cli', '--host', gw.url, '--spaces', 'from-python', '--declare', file('from-python', 'audio')], {
      SPACEPORT_TOKEN: ADMIN_TOKEN,
      PYTHONPATH: 'python',
    });
    procs.push(cli, python);
    await Promise.all([cli.waitFor('registered as'), python.waitFor('registered as')]);
    expect((await gw.http('GET', '/v1/spaces/from-cli')).body).toMatchObject({ output: 'table', options_schema: { properties: { level: { maximum: 3 } } } });
    expect((await gw.http('GET', '/v1/spaces/from-python')).body).toMatchObject({ output: 'audio' });
    expect((await gw.http('POST', '/v1/jobs', { space: 'from-python', prompt: 'p', options: { level: 4 } })).body.error.code).toBe('invalid_options');
  });
});

describe('across instances (Redis)', () => {
  it('a declaration made through one instance is checked by the other', async () => {
    const [a, b] = viaRedis;
    await a.createSpace({ name: 'shared-shape', inputs: ['prompt'] });
    const worker = serve(
      { host: a.url, spaces: ['shared-shape'], token: ADMIN_TOKEN, handleSignals: false, declare: { 'shared-shape': { options_schema: { type: 'object', properties: { k: { type: 'boolean' } } } } } },
      async () => 'ok',
    );
    await worker.ready;
    const client = await b.client();
    client.send({ type: 'submit', id: 'x', space: 'shared-shape', prompt: 'p', options: { k: 1 } });
    expect(await client.wait('refusal', (m) => m.type === 'error' && m.id === 'x')).toMatchObject({ code: 'invalid_options' });
    client.send({ type: 'submit', id: 'y', space: 'shared-shape', prompt: 'p', options: { k: true } });
    await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'y');
    await until('its result', async () => (await b.admin('GET', '/v1/admin/jobs?space=shared-shape&state=completed')).body.jobs?.length > 0 || undefined);
    client.close();
    worker.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/binary-frame.ts';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway({ limits: { clientMaxMessageBytes: 64 * 1024, messagesPerSecond: 20, messageBurst: 40 } });
  await gw.createSpace({ name: 'text', inputs: { prompt: { max_bytes: 100 } } });
  await gw.createSpace({ name: 'pics', inputs: { image: { max_bytes: 1000, mime: ['image/png'] } } });
  await gw.createSpace({ name: 'members', inputs: ['prompt'], access: 'users' });
});
afterAll(() => gw.stop());

describe('bad input on /v1/ws gets its documented code and the connection stays up', () => {
  const cases: Array<[string, string | object, string]> = [
    ['malformed JSON', '{"type": "submit", ', 'invalid_json'],
    ['not an object', '[1,2,3]', 'invalid_message'],
    ['no type', { space: 'text' }, 'invalid_message'],
    ['unknown type', { type: 'teleport' }, 'unknown_type'],
    ['missing field', { type: 'submit', id: 'm' }, 'invalid_message'],
    ['wrong type', { type: 'submit', id: 'w', space: 'text', prompt: 42 }, 'invalid_message'],
    ['unknown space', { type: 'submit', id: 'u', space: 'nope', prompt: 'x' }, 'space_not_found'],
    ['disabled input', { type: 'submit', id: 'd', space: 'text', files: [{ name: 'a.png', mime: 'image/png', data: 'AAAA' }] }, 'input_not_accepted'],
    ['prompt over the cap', { type: 'submit', id: 'o', space: 'text', prompt: 'x'.repeat(101) }, 'input_too_large'],
    ['MIME not allowed', { type: 'submit', id: 'mi', space: 'pics', files: [{ name: 'a.gif', mime: 'image/gif', data: 'AAAA' }] }, 'mime_not_allowed'],
    ['file over the cap', { type: 'submit', id: 'f', space: 'pics', files: [{ name: 'a.png', mime: 'image/png', data: 'A'.repeat(2000) }] }, 'input_too_large'],
    ['users-only space, anonymous', { type: 'submit', id: 'a', space: 'members', prompt: 'hi' }, 'unauthorized'],
    ['unknown job', { type: 'cancel', id: 'j', job: 'job_nope' }, 'job_not_found'],
    ['bad topic', { type: 'subscribe', id: 't', topic: 'weather' }, 'invalid_message'],
  ];

  it.each(cases)('%s → %s', async (_what, message, code) => {
    const client = await gw.client();
    client.send(typeof message === 'string' ? message : message);
    const error = await client.wait(code, (m) => m.type === 'error');
    expect(error.code).toBe(code);
    expect(typeof error.message).toBe('string');
    if (typeof message === 'object' && 'id' in message) expect(error.id).toBe(message.id);
    client.send({ type: 'ping', id: 'still-there' });
    await client.wait('pong', (m) => m.type === 'pong' && m.id === 'still-there');
    expect(client.closed).toBeNull();
    client.close();
  });

  it('closes with 1009 on a frame over the endpoint limit (the WebSocket protocol cannot continue after it)', async () => {
    const client = await gw.client();
    client.send({ type: 'submit', space: 'text', prompt: 'x'.repeat(70 * 1024) });
    expect((await client.waitClosed()).code).toBe(1009);
  });

  it('answers rate_limited past the burst and keeps serving after', async () => {
    const client = await gw.client();
    for (let i = 0; i < 60; i++) client.send({ type: 'ping', id: i });
    await client.wait('rate_limited', (m) => m.type === 'error' && m.code === 'rate_limited');
    await new Promise((r) => setTimeout(r, 300));
    client.send({ type: 'ping', id: 'later' });
    await client.wait('pong later', (m) => m.type === 'pong' && m.id === 'later');
    client.close();
  });

  it('refuses a binary frame that nothing announced', async () => {
    const client = await gw.client();
    client.sendBinary(encodeFrame({ ref: 'ghost', index: 0 }, Buffer.from('boo')));
    client.sendBinary(Buffer.from([1, 2]));
    await client.wait('unexpected_binary', (m) => m.code === 'unexpected_binary');
    expect(client.of('error').filter((m) => m.code === 'unexpected_binary')).toHaveLength(2);
    client.close();
  });

  it('leaves other users unaffected while one misbehaves', async () => {
    const worker = await gw.worker(['text']);
    const good = await gw.client();
    const bad = await gw.client();
    for (let i = 0; i < 20; i++) bad.send('{{{{');
    good.send({ type: 'submit', space: 'text', prompt: 'hi' });
    const job = await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'result', job: job.job, data: 'fine' });
    await good.wait('result', (m) => m.type === 'result');
    expect(good.of('error')).toHaveLength(0);
    worker.close();
    good.close();
    bad.close();
  });
});

describe('credentials and the worker endpoint', () => {
  it('refuses an upgrade with a token that is not a key (401), and accepts a created API key', async () => {
    await expect(WsPeer.open(`${gw.ws}/v1/ws`, { authorization: 'Bearer wrong' })).rejects.toThrow(/401/);
    const key = await gw.admin('POST', '/v1/admin/api-keys', { name: 'alice' });
    expect(key.status).toBe(201);
    const alice = await gw.client(key.body.key);
    expect(alice.messages[0]!.identity).toEqual({ kind: 'key', name: 'alice' });
    alice.send({ type: 'submit', id: 'k', space: 'members', prompt: 'hi' });
    await alice.wait('accepted', (m) => m.type === 'accepted');
    await gw.admin('DELETE', `/v1/admin/api-keys/${key.body.id}`);
    await expect(WsPeer.open(`${gw.ws}/v1/ws`, { authorization: `Bearer ${key.body.key}` })).rejects.toThrow(/401/);
    alice.close();
  });

  it('registers a worker with a space token, and refuses a bad token, another space, or an unknown space', async () => {
    const token = await gw.admin('POST', '/v1/admin/spaces/text/worker-tokens', { name: 'gpu-1' });
    expect(token.status).toBe(201);
    expect(token.body.command).toMatch(new RegExp(`^SPACEPORT_TOKEN=${token.body.token} spaceport worker `));
    expect(token.body.command).not.toContain('--token');
    const ok = await gw.worker(['text'], 1, token.body.token);
    expect(ok.messages[0]).toMatchObject({ type: 'registered', spaces: [{ name: 'text' }] });

    const bad = await gw.worker(['text'], 1, 'nope');
    expect(bad.messages[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect((await bad.waitClosed()).code).toBe(4001);
    const other = await gw.worker(['pics'], 1, token.body.token);
    expect(other.messages[0]).toMatchObject({ type: 'error', code: 'forbidden' });
    expect((await other.waitClosed()).code).toBe(4004);
    const unknown = await gw.worker(['ghost'], 1, token.body.token);
    expect(unknown.messages[0]).toMatchObject({ type: 'error', code: 'unknown_space' });
    expect((await unknown.waitClosed()).code).toBe(4004);
    const unregistered = await WsPeer.open(`${gw.ws}/v1/worker`);
    unregistered.send({ type: 'token', job: 'job_x', text: 'hi' });
    await unregistered.wait('not_registered', (m) => m.code === 'not_registered');
    ok.close();
    unregistered.close();
  });

  it('answers REST errors with status and code', async () => {
    expect((await gw.admin('POST', '/v1/admin/spaces', { name: 'text' })).body.error.code).toBe('space_exists');
    expect((await gw.admin('POST', '/v1/admin/spaces', { name: 'text' })).status).toBe(409);
    expect((await gw.http('POST', '/v1/admin/spaces', { name: 'x' })).status).toBe(401);
    expect((await gw.admin('POST', '/v1/admin/spaces', '{bad')).body.error.code).toBe('invalid_json');
    expect((await gw.admin('POST', '/v1/admin/spaces', { name: 'has space' })).body.error.code).toBe('invalid_message');
    expect((await gw.http('GET', '/v1/jobs/job_nope')).status).toBe(404);
    expect((await gw.http('GET', '/nowhere')).body.error.code).toBe('not_found');
    expect((await gw.http('PUT', '/v1/spaces')).body.error.code).toBe('method_not_allowed');
  });
});

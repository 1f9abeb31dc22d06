import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/binary-frame.ts';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawRequest } from '../helpers/raw-request.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/** Exact edges: malformed escapes and targets are the caller's 400, base64 is strict, media are what they say. */
let gw: TestGateway;
let png: Buffer;
let jpeg: Buffer;
const script = Buffer.from('#!/bin/sh\nrm -rf / --no-preserve-root\n'.repeat(4));

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'pics', inputs: ['image', 'prompt', 'files'] });
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
  jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();
});
afterAll(() => gw.stop());

/** One raw HTTP request, as a hostile client writes it; resolves with the status line. */
/** The status line of a GET written byte for byte. */
const statusOf = async (target: string, extra = '') => (await rawRequest(gw.port, target, `Host: x\r\n${extra}Connection: close\r\n`)).split('\r\n')[0]!;

describe('paths', () => {
  it('answers a malformed %-escape with 400 invalid_message, on routes and upgrades', async () => {
    const res = await gw.http('GET', '/v1/jobs/%E0%A4%A');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_message');
    await expect(WsPeer.open(`${gw.ws}/ws/%E0%A4%A`)).rejects.toThrow(/400/);
    await expect(WsPeer.open(`${gw.ws}/ws/reconstruct/%ZZ`)).rejects.toThrow(/400/);
    expect(await statusOf('/ws/%E0%A4%A', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n')).toMatch(/ 400 /);
  });

  it('answers a target no URL can be made of with 400, and keeps serving', async () => {
    for (const target of ['//', 'http://[', '//[']) expect(await statusOf(target), target).toMatch(/ 400 /);
    expect((await gw.http('GET', '/health')).status).toBe(200);
  });

  it('takes a mangled session cookie as no session', async () => {
    const res = await gw.http('GET', '/v1/spaces', undefined, { cookie: 'spaceport_session=%E0%A4%A' });
    expect(res.status).toBe(200);
  });
});

describe('base64 is decoded strictly', () => {
  it.each([
    ['unpadded', 'abc'],
    ['stray bits in the last group', 'abd='],
    ['a character outside the alphabet', 'ab-_'],
  ])('refuses %s (%s) with invalid_message', async (_what, data) => {
    const client = await gw.client();
    client.send({ type: 'submit', id: 'b', space: 'pics', files: [{ name: 'x.bin', mime: 'application/octet-stream', data }] });
    const error = await client.wait('refusal', (m) => m.type === 'error' && m.id === 'b');
    expect(error.code).toBe('invalid_message');
    client.close();
  });

  it('takes canonical base64', async () => {
    const client = await gw.client();
    client.send({ type: 'submit', id: 'ok', space: 'pics', files: [{ name: 'x.bin', mime: 'application/octet-stream', data: 'abc=' }] });
    await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'ok');
    client.close();
  });

  it('frames dialect: image_data that is not base64 is INVALID_IMAGE', async () => {
    const ws = await WsPeer.open(`${gw.ws}/ws/edge-client`);
    ws.send({ type: 'send_frame', frame_id: 'f', plugin: 'pics', image_data: `${png.toString('base64')}A` });
    expect(await ws.wait('error', (m) => m.type === 'error')).toMatchObject({ error_code: 'INVALID_IMAGE', frame_id: 'f' });
    ws.close();
  });
});

describe('media are checked by their bytes against the declared type', () => {
  const refusedOnWs = async (files: object[], parts: Buffer[] = []) => {
    const client = await gw.client();
    client.send({ type: 'submit', id: 'm', space: 'pics', files });
    parts.forEach((p, index) => client.sendBinary(encodeFrame({ ref: 'm', index }, p)));
    const answer = await client.wait('answer', (m) => m.id === 'm' && (m.type === 'error' || m.type === 'accepted'));
    client.close();
    return answer;
  };

  it('refuses a shell script sent as image/png on /v1/ws (inline and as a binary frame)', async () => {
    const inline = await refusedOnWs([{ name: 'cat.png', mime: 'image/png', data: script.toString('base64') }]);
    expect(inline).toMatchObject({ type: 'error', code: 'input_not_accepted' });
    expect(inline.message).toMatch(/not a recognised image format/);
    const binary = await refusedOnWs([{ name: 'cat.png', mime: 'image/png', binary: true }], [script]);
    expect(binary).toMatchObject({ type: 'error', code: 'input_not_accepted' });
  });

  it('refuses a JPEG declared as image/png, and takes each as what it is', async () => {
    const wrong = await refusedOnWs([{ name: 'a.png', mime: 'image/png', data: jpeg.toString('base64') }]);
    expect(wrong.message).toMatch(/declared image\/png but its bytes are JPEG/);
    expect((await refusedOnWs([{ name: 'a.jpg', mime: 'image/jpeg', data: jpeg.toString('base64') }])).type).toBe('accepted');
    expect((await refusedOnWs([{ name: 'a.png', mime: 'image/png', data: png.toString('base64') }])).type).toBe('accepted');
  });

  it('refuses it over HTTP too, inline and as an uploaded blob named in the submit', async () => {
    const inline = await gw.http('POST', '/v1/jobs', { space: 'pics', files: [{ name: 'cat.png', mime: 'image/png', data: script.toString('base64') }] });
    expect(inline.status).toBe(422);
    expect(inline.body.error.code).toBe('input_not_accepted');
    const upload = await fetch(`${gw.url}/v1/blobs?name=cat.png`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: script });
    const { id } = (await upload.json()) as { id: string };
    const byBlob = await gw.http('POST', '/v1/jobs', { space: 'pics', files: [{ blob: id }] });
    expect(byBlob.status).toBe(422);
    expect(byBlob.body.error.code).toBe('input_not_accepted');
  });

  it('takes anything as a `files` input: only media kinds are checked', async () => {
    const answer = await refusedOnWs([{ name: 'run.sh', mime: 'text/x-shellscript', data: script.toString('base64') }]);
    expect(answer.type).toBe('accepted');
  });
});

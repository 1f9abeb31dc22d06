import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import { ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts';

/** The speech demo spaces with their real programs (Debian's flite and pocketsphinx, installed by scripts/setup.sh). */
let gw: TestGateway;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['text-to-speech', 'speech-to-text']));
}, 60_000);
afterAll(() => stop?.());

async function run(message: Record<string, unknown>) {
  const client = await gw.client(ADMIN_TOKEN);
  client.send({ type: 'submit', id: 's', ...message });
  const first = await client.wait('accepted', (m) => m.type === 'accepted' || m.type === 'error');
  if (first.type === 'error') return { end: first, messages: [first] };
  const { job } = first;
  const end = await client.wait('end', (m) => m.job === job && (m.type === 'result' || m.type === 'failed'), 60_000);
  client.close();
  return { end, messages: client.messages.filter((m) => m.job === job) };
}

describe('speech demo spaces', () => {
  it('speaks a text with flite, and PocketSphinx hears its words back, streamed as they are recognised', async () => {
    const said = await run({ space: 'text-to-speech', prompt: 'Hello world. This is a test of the speech spaces.', options: { voice: 'slt' } });
    expect(said.end.type).toBe('result');
    expect(said.end.data).toMatchObject({ voice: 'slt', model_used: 'CMU Flite 2.2', sample_rate: 16_000 });
    expect(said.end.data.duration_seconds).toBeGreaterThan(1.5);
    const file = said.end.files.find((f: { mime: string }) => f.mime === 'audio/wav');
    const wav = Buffer.from(await (await fetch(gw.url + file.url)).arrayBuffer());
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');

    const heard = await run({ space: 'speech-to-text', files: [{ name: 'speech.wav', mime: 'audio/wav', data: wav.toString('base64') }] });
    expect(heard.end.type).toBe('result');
    const { text, words, duration_seconds } = heard.end.data;
    expect(text.split(' ')).toEqual(expect.arrayContaining(['hello', 'world', 'this', 'test']));
    expect(duration_seconds).toBeCloseTo(said.end.data.duration_seconds, 1);
    // Each word has its time in the audio, in order, inside it.
    expect(words.every((w: { start: number; end: number }, i: number) => w.start < w.end && w.end <= duration_seconds + 0.1 && (i === 0 || w.start >= words[i - 1].end))).toBe(true);
    // The words came as tokens while the audio was decoded, and spell the same text.
    const tokens = heard.messages.filter((m) => m.type === 'token').map((m) => m.text);
    expect(tokens.length).toBe(words.length);
    expect(tokens.join('')).toBe(text);
  }, 60_000);

  it('refuses an unknown voice, an empty text, and audio it cannot decode, in plain words', async () => {
    // Its worker declared the voices it has (docs/spaces.md): the gateway refuses another before a job is made.
    const voice = await run({ space: 'text-to-speech', prompt: 'hi', options: { voice: 'hal9000' } });
    expect(voice.end).toMatchObject({ type: 'error', code: 'invalid_options' });
    expect(voice.end.message).toContain('options.voice must be one of slt, kal');
    const empty = await run({ space: 'text-to-speech', prompt: '   ' });
    expect(empty.end.message).toContain('the prompt is empty');
    // A WAV's first bytes (the gateway takes it for one) and nothing after them.
    const cut = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt ')]);
    const noise = await run({ space: 'speech-to-text', files: [{ name: 'x.wav', mime: 'audio/wav', data: cut.toString('base64') }] });
    expect(noise.end).toMatchObject({ type: 'failed' });
    expect(noise.end.message).toContain('could not be decoded');
  }, 60_000);
});

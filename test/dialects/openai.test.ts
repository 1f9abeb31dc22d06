import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiRequest, openAiResult, openAiToolCallPiece, serve } from '../../src/sdk/node.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import { runPython, runTs, type Proc } from '../helpers/processes.ts';
import { sdkWorker } from '../helpers/sdk.ts';

/** OpenAI's API on the gateway, driven by the official `openai` npm client. */
let gw: TestGateway;
let openai: OpenAI;
const procs: Proc[] = [];

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'llm', inputs: ['prompt'] });
  await gw.createSpace({ name: 'raw-llm', inputs: ['prompt'] });
  await gw.createSpace({ name: 'pictures', inputs: ['image'] });
  procs.push(await sdkWorker(gw.url, 'llm', ADMIN_TOKEN, 4));
  const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'openai client' })).body.key as string;
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
});
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  await gw.stop();
});

describe('the OpenAI API with the official client', () => {
  it('lists the spaces that take prompts as models', async () => {
    const ids = (await openai.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['llm', 'raw-llm']));
    expect(ids).not.toContain('pictures');
  });

  it('answers a chat completion whole: the job id, the text, usage', async () => {
    const done = await openai.chat.completions.create({
      model: 'llm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'count 3 5' },
      ],
    });
    expect(done.id).toMatch(/^job_/);
    expect(done.object).toBe('chat.completion');
    expect(done.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: 't0 t1 t2 ' }, finish_reason: 'stop' });
    expect(done.usage).toMatchObject({ completion_tokens: 3, total_tokens: 3 });
    expect((await gw.http('GET', `/v1/jobs/${done.id}`, undefined, { authorization: `Bearer ${openai.apiKey}` })).body.state).toBe('completed');
  });

  it('streams chunks as they come, a final chunk with finish_reason, then usage when asked', async () => {
    const stream = await openai.chat.completions.create({ model: 'llm', messages: [{ role: 'user', content: 'count 4 5' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('t0 t1 t2 t3 ');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 4 } });
  });

  it('serves text completions too', async () => {
    const done = await openai.completions.create({ model: 'llm', prompt: 'count 2 5' });
    expect(done.choices[0]).toMatchObject({ text: 't0 t1 ', finish_reason: 'stop' });
  });

  it('errors in OpenAI’s shape: unknown model 404, bad key 401, a bad request 400', async () => {
    await expect(openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
      type: 'not_found_error',
    });
    const stranger = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'spk_not_a_key', maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: 'llm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401, type: 'authentication_error' });
    await expect(openai.chat.completions.create({ model: 'llm', messages: [{ role: 'user', content: 'hi' }], n: 2 })).rejects.toMatchObject({ status: 400, type: 'invalid_request_error' });
  });
});

describe('gateway → spaceport worker --openai → an OpenAI-compatible server', () => {
  it('passes the whole conversation and tools upstream, and brings back content, tool calls and usage', async () => {
    await gw.createSpace({ name: 'relayed', inputs: ['prompt'] });
    const upstream = runTs('test/fixtures/openai-server.ts', []);
    procs.push(upstream);
    const port = JSON.parse(await upstream.waitFor(/\{"event":"listening"[^\n]*\}/)).port;
    const worker = runTs('src/cli/main.ts', ['worker', '--host', gw.url, '--spaces', 'relayed', '--token', ADMIN_TOKEN, '--openai', `http://127.0.0.1:${port}/v1`, '--model', 'upstream-model']);
    procs.push(worker);
    await worker.waitFor('registered as');
    const messages = [
      { role: 'system' as const, content: 'You reverse words.' },
      { role: 'user' as const, content: 'one two' },
      { role: 'assistant' as const, content: 'two one' },
      { role: 'user' as const, content: 'red green blue' },
    ];
    const stream = await openai.chat.completions.create({ model: 'relayed', messages, temperature: 0.3, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('blue green red');
    expect(usage).toEqual({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
    const sent = JSON.parse((await upstream.waitFor(/request [^\n]+/)).slice(8));
    expect(sent).toMatchObject({ model: 'upstream-model', messages, temperature: 0.3, stream: true });

    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }];
    const called = await openai.chat.completions.create({ model: 'relayed', messages: [{ role: 'user', content: 'find this' }], tools });
    expect(called.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"a":"this find"}' } }] },
    });

    // Streamed, the call comes piece by piece as the server made it: the id and name first, then
    // its arguments in parts; not again at the end.
    const pieces: unknown[] = [];
    let reason: string | null | undefined;
    for await (const chunk of await openai.chat.completions.create({ model: 'relayed', messages: [{ role: 'user', content: 'find that' }], tools, stream: true })) {
      pieces.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
      reason = chunk.choices[0]?.finish_reason ?? reason;
    }
    expect(pieces).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"a":' } },
      { index: 0, function: { arguments: '"that find"}' } },
    ]);
    expect(reason).toBe('tool_calls');
    // Three jobs, one connection to the server: the worker keeps it (a new one per job was a handshake before every first token).
    expect(upstream.output().match(/^connection \d+$/gm)).toEqual(['connection 1']);
  });
});

describe('from Python without the openai package (the wire format by hand)', () => {
  it('streams chat.completion.chunk events with one id, a finish reason, usage and [DONE] last; errors in OpenAI’s shape', async () => {
    const proc = runPython(['test/fixtures/python/openai_wire.py', gw.url, String(openai.apiKey), 'llm', 'count 3 5']);
    procs.push(proc);
    expect(await proc.exited()).toBe(0);
    const out = JSON.parse(proc.output().trim().split('\n').pop()!);
    expect(out).toMatchObject({ text: 't0 t1 t2 ', objects: ['chat.completion.chunk'], finish: 'stop', usage: { completion_tokens: 3 }, done_last: true });
    expect(out.ids).toHaveLength(1);
    expect(out.ids[0]).toMatch(/^job_/);
    expect(out.missing).toEqual({ status: 404, body: { error: { message: expect.any(String), type: 'not_found_error', param: 'model', code: 'model_not_found' } } });
  });
});

describe('resume and cancel by id', () => {
  it('keeps a job whose request had an Idempotency-Key when the stream drops; the same request again streams it whole', async () => {
    const worker = await gw.worker(['raw-llm']);
    const request = { model: 'raw-llm', messages: [{ role: 'user' as const, content: 'a long answer' }], stream: true as const };
    const headers = { 'Idempotency-Key': `resume-${Date.now()}` };
    const controller = new AbortController();
    const first = await openai.chat.completions.create(request, { headers, signal: controller.signal });
    const job = await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job: job.job });
    worker.send({ type: 'token', job: job.job, text: 'part one, ' });
    for await (const chunk of first) if (chunk.choices[0]?.delta?.content) break;
    controller.abort();
    worker.send({ type: 'token', job: job.job, text: 'part two.' });
    worker.send({ type: 'result', job: job.job, data: {} });
    let text = '';
    const again = await openai.chat.completions.create(request, { headers });
    for await (const chunk of again) {
      expect(chunk.id).toBe(job.job);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe('part one, part two.');
    expect(worker.of('cancel')).toEqual([]);
    worker.close();
  });

  it('never splices two attempts: a whole answer is the retry’s alone; a stream already begun ends with worker_lost', async () => {
    const first = await gw.worker(['raw-llm']);
    const whole = openai.chat.completions.create({ model: 'raw-llm', messages: [{ role: 'user', content: 'once' }] });
    const job = await first.next('job', (m) => m.type === 'job');
    first.send({ type: 'started', job: job.job });
    first.send({ type: 'token', job: job.job, text: 'lost words ' });
    await new Promise((r) => setTimeout(r, 50));
    first.ws.terminate(); // no goodbye: requeued once the re-attach grace has passed
    const second = await gw.worker(['raw-llm']);
    const again = await second.next('job', (m) => m.type === 'job' && m.job === job.job);
    expect(again.attempt).toBe(2);
    second.send({ type: 'started', job: job.job });
    second.send({ type: 'token', job: job.job, text: 'the answer' });
    second.send({ type: 'result', job: job.job, data: {} });
    expect((await whole).choices[0]!.message.content).toBe('the answer');

    const stream = await openai.chat.completions.create({ model: 'raw-llm', messages: [{ role: 'user', content: 'twice' }], stream: true });
    const streamed = await second.next('job', (m) => m.type === 'job' && m.job !== job.job);
    second.send({ type: 'started', job: streamed.job });
    second.send({ type: 'token', job: streamed.job, text: 'half ' });
    const read = (async () => {
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    })();
    await new Promise((r) => setTimeout(r, 50));
    second.ws.terminate();
    await expect(read).rejects.toMatchObject({ message: expect.stringContaining('starts again') });
    // The job itself goes on (requeued); this test is done with it.
    await gw.http('POST', `/v1/jobs/${streamed.job}/cancel`, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
  });

  it('cancels by the completion’s id', async () => {
    const worker = await gw.worker(['raw-llm']);
    const outcome = openai.chat.completions.create({ model: 'raw-llm', messages: [{ role: 'user', content: 'never mind' }] }).then(
      () => null,
      (err: unknown) => err,
    );
    const job = await worker.next('job', (m) => m.type === 'job' && m.prompt === 'never mind');
    const cancelled = await gw.http('POST', `/v1/chat/completions/${job.job}/cancel`, undefined, { authorization: `Bearer ${openai.apiKey}` });
    expect(cancelled.body).toMatchObject({ id: job.job, state: 'cancelled' });
    expect(await outcome).toMatchObject({ status: 409, code: 'cancelled' });
    await worker.next('cancel', (m) => m.type === 'cancel' && m.job === job.job);
    worker.close();
  });
});

describe('the built-in text-generation space', () => {
  it('answers the OpenAI API with its sampling fields and exact usage (its tokens are characters)', async () => {
    const { gw: builtin, stop } = await gatewayWithBuiltinWorkers(['text-generation']);
    try {
      const key = (await builtin.admin('POST', '/v1/admin/api-keys', { name: 'k' })).body.key as string;
      const client = new OpenAI({ baseURL: `${builtin.url}/v1`, apiKey: key, maxRetries: 0 });
      const done = await client.chat.completions.create({ model: 'text-generation', messages: [{ role: 'user', content: 'It is a truth' }], max_tokens: 12, temperature: 0.5 });
      expect(done.choices[0]!.message.content).toHaveLength(12);
      expect(done.choices[0]!.finish_reason).toBe('length');
      expect(done.usage).toEqual({ prompt_tokens: 'It is a truth'.length, completion_tokens: 12, total_tokens: 'It is a truth'.length + 12 });
    } finally {
      await stop();
    }
  }, 60_000);
});

describe('the worker side', () => {
  it('the TypeScript worker SDK reads the request with openAiRequest and answers with openAiResult', async () => {
    await gw.createSpace({ name: 'helper-llm', inputs: ['prompt'] });
    const worker = serve({ host: gw.url, spaces: ['helper-llm'], token: ADMIN_TOKEN }, async (job, ctx) => {
      const request = openAiRequest(job)!;
      ctx.token(`${request.messages!.length} messages, ${request.tools?.length ?? 0} tools`);
      if (request.tools) {
        ctx.partial(openAiToolCallPiece({ index: 0, id: 'call_9', name: request.tools[0]!.function.name }));
        ctx.partial(openAiToolCallPiece({ index: 0, arguments: '{' }));
        ctx.partial(openAiToolCallPiece({ index: 0, arguments: '}' }));
      }
      return openAiResult({
        finishReason: request.tools ? 'tool_calls' : 'stop',
        usage: { promptTokens: 7, completionTokens: 1 },
        ...(request.tools && { toolCalls: [{ id: 'call_9', type: 'function' as const, function: { name: request.tools[0]!.function.name, arguments: '{}' } }] }),
      });
    });
    await worker.ready;
    const plain = await openai.chat.completions.create({
      model: 'helper-llm',
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
    });
    expect(plain.choices[0]).toMatchObject({ message: { content: '3 messages, 0 tools' }, finish_reason: 'stop' });
    expect(plain.usage).toEqual({ prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 });
    const tool = await openai.chat.completions.create({ model: 'helper-llm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'now' } }] });
    expect(tool.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'call_9', function: { name: 'now', arguments: '{}' } }] } });
    // Streamed, the pieces the handler sent with openAiToolCallPiece, as it sent them.
    const streamed = await openai.chat.completions.create({ model: 'helper-llm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'now' } }], stream: true });
    const pieces: unknown[] = [];
    for await (const chunk of streamed) pieces.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
    expect(pieces).toEqual([
      { index: 0, id: 'call_9', type: 'function', function: { name: 'now' } },
      { index: 0, function: { arguments: '{' } },
      { index: 0, function: { arguments: '}' } },
    ]);
    worker.close();
  });

  it('gets the request as it came in options.openai, and its usage and finish_reason reach the client', async () => {
    const worker = await gw.worker(['raw-llm']);
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'What is 2+2?' },
      { role: 'assistant' as const, content: '4' },
      { role: 'user' as const, content: 'And 3+3?' },
    ];
    const answer = openai.chat.completions.create({
      model: 'raw-llm',
      messages,
      temperature: 0.2,
      max_tokens: 5,
      tools: [{ type: 'function', function: { name: 'add', parameters: { type: 'object' } } }],
    });
    const job = await worker.next('job', (m) => m.type === 'job');
    expect(job.prompt).toBe('And 3+3?');
    expect(job.options.openai).toMatchObject({ model: 'raw-llm', messages, temperature: 0.2, max_tokens: 5, tools: [expect.objectContaining({ type: 'function' })] });
    worker.send({ type: 'started', job: job.job });
    worker.send({ type: 'token', job: job.job, text: '6' });
    worker.send({ type: 'result', job: job.job, data: { usage: { prompt_tokens: 21, completion_tokens: 1 }, finish_reason: 'length' } });
    const done = await answer;
    expect(done.choices[0]).toMatchObject({ message: { content: '6' }, finish_reason: 'length' });
    expect(done.usage).toEqual({ prompt_tokens: 21, completion_tokens: 1, total_tokens: 22 });
    worker.close();
  });

  it('cancels the job on its worker when the client closes the stream', async () => {
    const worker = await gw.worker(['raw-llm']);
    const controller = new AbortController();
    const stream = await openai.chat.completions.create({ model: 'raw-llm', messages: [{ role: 'user', content: 'talk forever' }], stream: true }, { signal: controller.signal });
    const job = await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job: job.job });
    worker.send({ type: 'token', job: job.job, text: 'one ' });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) break; // leaving the loop closes the stream
    }
    controller.abort();
    expect(await worker.next('cancel', (m) => m.type === 'cancel' && m.job === job.job)).toMatchObject({ reason: 'cancelled' });
    worker.close();
  });
});

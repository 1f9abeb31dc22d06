/**
 * The plain-`ws` clients and workers that the raw relay and the gateway share: both speak JSON
 * text frames with the same shape (submit → accepted → token… → result), differing only in
 * paths, the submit message and how a binary payload reaches the client.
 */
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../../src/protocol/binary-frame.ts';
import type { BenchClient, Closable, JobHandler, Submitted } from './target.ts';

/** A plain client socket, with the bearer token when there is one. */
function connecting(url: string, token?: string): WebSocket {
  return new WebSocket(url, { perMessageDeflate: false, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

export function open(url: string, token?: string): Promise<WebSocket> {
  const ws = connecting(url, token);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Opens a socket and resolves on its first message (a server's greeting, sent right after the upgrade). */
export function openGreeted(url: string, token?: string): Promise<WebSocket> {
  const ws = connecting(url, token);
  return new Promise((resolve, reject) => {
    // Listening from the start: the greeting may arrive with the upgrade, before 'open' is handled.
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
  });
}

export interface JsonClientOptions {
  token?: string;
  submitMessage(id: number, prompt: string): object;
}

/**
 * Submit carries a request id, `accepted` maps it to a job id, and later messages name the job.
 * Events that overtake their `accepted` wait for it. A result that names a stored file is
 * fetched over the socket (the gateway's way); a binary frame whose `ref` is the job or the fetch
 * ends the job with its payload (the raw relay forwards the worker's frame as it is).
 */
export async function jsonClient(url: string, opts: JsonClientOptions): Promise<BenchClient> {
  const ws = await open(url, opts.token);
  const byRequest = new Map<number, Submitted>();
  const byJob = new Map<string | number, Submitted>();
  const early = new Map<string | number, Array<{ type: string; files?: Array<{ id: string }> }>>();
  const fetching = new Map<string, Submitted>();
  let nextId = 1;
  const deliver = (job: string | number, msg: { type: string; files?: Array<{ id: string }> }) => {
    const on = byJob.get(job);
    if (!on) return void early.set(job, [...(early.get(job) ?? []), msg]);
    if (msg.type === 'token') return on.token?.();
    if (msg.type !== 'result') return;
    byJob.delete(job);
    const file = msg.files?.[0];
    if (!file) return on.result();
    const ref = `fetch-${job}`;
    fetching.set(ref, on);
    ws.send(JSON.stringify({ type: 'fetch', id: ref, blob: file.id }));
  };
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      const frame = decodeFrame(data)!;
      const ref = frame.header.ref as string | number;
      const on = fetching.get(String(ref)) ?? byJob.get(ref);
      fetching.delete(String(ref));
      byJob.delete(ref);
      return on?.result(frame.payload.length);
    }
    const msg = JSON.parse(data.toString());
    if (msg.type === 'accepted') {
      byJob.set(msg.job, byRequest.get(msg.id)!);
      byRequest.delete(msg.id);
      for (const m of early.get(msg.job) ?? []) deliver(msg.job, m);
      early.delete(msg.job);
    } else if (msg.type === 'token' || msg.type === 'result') deliver(msg.job, msg);
  });
  return {
    submit(prompt, on) {
      const id = nextId++;
      byRequest.set(id, on);
      ws.send(JSON.stringify(opts.submitMessage(id, prompt)));
    },
    close: () => ws.close(),
  };
}

/** A plain WebSocket subscriber: optionally sends a subscribe message and waits for its ack. */
export async function jsonSubscriber(url: string, subscribe: object | undefined, onToken: () => void, token?: string): Promise<Closable> {
  const ws = connecting(url, token);
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', function ready(data) {
      const text = data.toString();
      if (text.includes('"hello"') && subscribe) return ws.send(JSON.stringify(subscribe));
      if (text.includes('"subscribed"') || text.includes('"ack"')) {
        ws.off('message', ready);
        resolve();
      }
    });
  });
  // Only the type is needed per message; a full parse per delivery would measure the benchmark itself.
  ws.on('message', (data) => data.toString().startsWith('{"type":"token"') && onToken());
  return { close: () => ws.close() };
}

/**
 * A worker on an open socket. `mediaResult(job)` is the JSON that announces a binary result, if
 * the protocol wants one before the frame (the gateway does; the raw relay needs only the frame).
 */
export function jsonWorker(ws: WebSocket, onJob: JobHandler, mediaResult?: (job: string | number) => object): Closable {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'job') return;
    const job: string | number = msg.job;
    onJob(job, msg.prompt, {
      token: (text) => ws.send(JSON.stringify({ type: 'token', job, text })),
      result: (d) => ws.send(JSON.stringify({ type: 'result', job, data: d })),
      media(bytes) {
        if (mediaResult) ws.send(JSON.stringify(mediaResult(job)));
        ws.send(encodeFrame({ ref: job, index: 0 }, bytes), { binary: true });
      },
    });
  });
  return { close: () => ws.close() };
}

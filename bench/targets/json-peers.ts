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
  /** How this protocol asks to cancel a job (none: the client cannot). */
  cancelMessage?(job: string | number): object;
}

/** The JSON a worker sends around the frames of a job's payloads, where its protocol wants any. */
export interface MediaMessages {
  /** Before all the frames (a result announcing them as its files). */
  first?: object;
  /** Before each frame (a partial announcing it). */
  each?: object;
  /** After all the frames: what ends the job. */
  last?: object;
}

/**
 * Submit carries a request id, `accepted` maps it to a job id, and later messages name the job.
 * Events that overtake their `accepted` wait for it. A binary frame whose `ref` is the job carries
 * one of its payloads: the raw relay forwards the worker's frames, the gateway pushes the files of
 * an event right after it (`push_files`). The job ends with its result, or, when the result itself
 * names files, with the last of their frames; `result` is told the bytes of all its payloads.
 */
export async function jsonClient(url: string, opts: JsonClientOptions): Promise<BenchClient> {
  const ws = await open(url, opts.token);
  const byRequest = new Map<number, Submitted>();
  const byJob = new Map<string | number, Submitted>();
  const early = new Map<string | number, Array<{ type: string; files?: Array<{ id: string }> }>>();
  /** Bytes of the payloads received so far, per job. */
  const received = new Map<string | number, number>();
  /** Jobs whose result named files, and how many of their frames are still to come. */
  const awaitingFiles = new Map<string | number, { on: Submitted; missing: number }>();
  let nextId = 1;
  const end = (job: string | number, on: Submitted) => {
    on.result(received.get(job));
    received.delete(job);
  };
  const deliver = (job: string | number, msg: { type: string; files?: Array<{ id: string }> }) => {
    const on = byJob.get(job);
    if (!on) return void early.set(job, [...(early.get(job) ?? []), msg]);
    if (msg.type === 'token') return on.token?.();
    if (msg.type === 'cancelled') return void (byJob.delete(job), end(job, on));
    if (msg.type !== 'result') return;
    byJob.delete(job);
    if (msg.files?.length) awaitingFiles.set(job, { on, missing: msg.files.length });
    else end(job, on);
  };
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      const frame = decodeFrame(data)!;
      const job = frame.header.ref as string | number;
      received.set(job, (received.get(job) ?? 0) + frame.payload.length);
      const awaiting = awaitingFiles.get(job);
      if (awaiting && --awaiting.missing === 0) {
        awaitingFiles.delete(job);
        end(job, awaiting.on);
      }
      return;
    }
    const msg = JSON.parse(data.toString());
    if (msg.type === 'accepted') {
      byRequest.get(msg.id)!.accepted?.(msg.job);
      byJob.set(msg.job, byRequest.get(msg.id)!);
      byRequest.delete(msg.id);
      for (const m of early.get(msg.job) ?? []) deliver(msg.job, m);
      early.delete(msg.job);
    } else if (msg.type === 'token' || msg.type === 'result' || msg.type === 'cancelled') deliver(msg.job, msg);
  });
  return {
    submit(prompt, on) {
      const id = nextId++;
      byRequest.set(id, on);
      ws.send(JSON.stringify(opts.submitMessage(id, prompt)));
    },
    ...(opts.cancelMessage && { cancel: (job: string | number) => ws.send(JSON.stringify(opts.cancelMessage!(job))) }),
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
 * A worker on an open socket. `media(job, count)` is the JSON its protocol wants around the
 * frames of a job's `count` binary payloads.
 */
export function jsonWorker(ws: WebSocket, onJob: JobHandler, media: (job: string | number, count: number) => MediaMessages): Closable {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'job') return;
    const job: string | number = msg.job;
    // Every target's worker says it started (the relays forward it like any event): the same messages for all.
    ws.send(JSON.stringify({ type: 'started', job }));
    onJob(job, msg.prompt, {
      token: (text) => ws.send(JSON.stringify({ type: 'token', job, text })),
      result: (d) => ws.send(JSON.stringify({ type: 'result', job, data: d })),
      media(payloads) {
        const { first, each, last } = media(job, payloads.length);
        if (first) ws.send(JSON.stringify(first));
        payloads.forEach((bytes, index) => {
          if (each) ws.send(JSON.stringify(each));
          ws.send(encodeFrame({ ref: job, index: first ? index : 0 }, bytes), { binary: true });
        });
        if (last) ws.send(JSON.stringify(last));
      },
    });
  });
  return { close: () => ws.close() };
}

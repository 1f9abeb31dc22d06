import type { WebSocket } from 'ws';
import { lineType } from '../../core/job-events.ts';
import { spaceStatus } from '../../core/queue-monitor.ts';
import type { Subscriber } from '../../core/subscriber-router.ts';
import { parseTopic } from '../../core/topics.ts';
import type { Identity } from '../../core/types.ts';
import { encodeFrame } from '../../protocol/binary-frame.ts';
import { CLIENT_TYPES, ClientMessage } from '../../protocol/client-messages.ts';
import { decodeMessage } from '../../protocol/decode.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { binaryIndexes, toSubmittedFiles } from '../file-specs.ts';
import { JobFeeds } from '../job-feeds.ts';
import type { ServerContext } from '../server-context.ts';
import { Attachments } from './attachments.ts';
import { NO_UPLOAD, handleInbound } from './inbound.ts';
import { Peer } from './peer.ts';
import { newId } from '../../core/ids.ts';

/** How long the binary parts announced by a submit may take to arrive. */
const UPLOAD_TIMEOUT_MS = 60_000;

/** The client protocol on /v1/ws (docs/protocol.md): submit, follow, cancel, subscribe, resume. */
export function acceptClient(ctx: ServerContext, ws: WebSocket, who: Identity): Peer {
  const { core, engine, config } = ctx;
  const peer = new Peer(ws, 'client', 'client', config.limits, ctx.metrics);
  ctx.peers.add(peer);
  const attachments = new Attachments(UPLOAD_TIMEOUT_MS, config.limits.maxBlobBytes);
  const feeds = new JobFeeds(
    (jobId, line) => peer.send(line, lineType(line) === 'progress' ? `progress:${jobId}` : undefined),
    () => peer.room(),
  );
  const jobTopics = new Set<string>();
  const spaceTopics = new Set<string>();
  const subscriber: Subscriber = {
    identity: who,
    deliverEvent: (jobId, line) => feeds.onLive(jobId, line),
    deliverStatus: (line) => peer.send(line),
  };

  const followJob = async (jobId: string, afterSeq: number) => {
    core.router.subscribeJob(jobId, subscriber);
    jobTopics.add(jobId);
    const range = await feeds.replay(engine, jobId, afterSeq, (r) =>
      peer.error('resume_gap', `Events ${afterSeq + 1}..${r.firstSeq - 1} of job ${jobId} are no longer kept; replaying from ${r.firstSeq}.`, {
        job: jobId,
        after_seq: afterSeq,
        first_seq: r.firstSeq,
      }),
    );
    if (range?.final) unfollow(jobId);
  };
  const unfollow = (jobId: string) => {
    core.router.unsubscribeJob(jobId, subscriber);
    jobTopics.delete(jobId);
    feeds.forget(jobId);
  };

  const sendStatuses = async (only?: string) => {
    const [spaces, workers] = await Promise.all([engine.listSpaces(), engine.listWorkers()]);
    for (const space of spaces) {
      if (only !== undefined && space.id !== only) continue;
      const queued = await engine.queuedJobIds(space.id);
      peer.sendJson({ type: 'space_status', ...spaceStatus(space, workers, queued.length) });
    }
  };

  async function handle(msg: ClientMessage, upload: Promise<Array<Buffer | undefined>>): Promise<void> {
    switch (msg.type) {
      case 'submit': {
        const files = msg.files ?? [];
        const parts = await upload;
        const accepted = await core.jobs.submit(who, {
          space: msg.space,
          prompt: msg.prompt,
          options: msg.options,
          files: toSubmittedFiles(files, parts, config.limits.maxBlobBytes),
        });
        peer.sendJson({ type: 'accepted', id: msg.id, job: accepted.job.id, space: accepted.job.space, position: accepted.position, eta_ms: accepted.eta_ms });
        await followJob(accepted.job.id, 0);
        return;
      }
      case 'cancel': {
        const job = await core.jobs.cancel(who, msg.job);
        peer.sendJson({ type: 'ack', id: msg.id, of: 'cancel', job: job.id });
        return;
      }
      case 'resume':
      case 'subscribe': {
        const topicText = msg.type === 'resume' ? `job:${msg.job}` : msg.topic;
        const topic = parseTopic(topicText);
        if (!topic) throw new SpaceportError('invalid_message', `subscribe: topic must be "job:<id>", "space:<name>" or "all", not "${topicText.slice(0, 80)}".`);
        if (topic.kind === 'job') {
          await core.jobs.getVisible(who, topic.jobId);
          peer.sendJson({ type: 'ack', id: msg.id, of: msg.type, topic: topicText });
          await followJob(topic.jobId, msg.after_seq ?? 0);
        } else if (topic.kind === 'space') {
          const space = await core.jobs.requireSpace(topic.name);
          core.router.subscribeSpace(space.id, subscriber);
          spaceTopics.add(space.id);
          peer.sendJson({ type: 'ack', id: msg.id, of: 'subscribe', topic: topicText });
          await sendStatuses(space.id);
        } else {
          core.router.subscribeAll(subscriber);
          peer.sendJson({ type: 'ack', id: msg.id, of: 'subscribe', topic: 'all' });
          await sendStatuses();
        }
        return;
      }
      case 'unsubscribe': {
        const topic = parseTopic(msg.topic);
        if (!topic) throw new SpaceportError('invalid_message', `unsubscribe: unknown topic "${msg.topic.slice(0, 80)}".`);
        if (topic.kind === 'job') unfollow(topic.jobId);
        else if (topic.kind === 'all') core.router.unsubscribeAll(subscriber);
        else {
          const space = await engine.getSpace(topic.name);
          if (space) {
            core.router.unsubscribeSpace(space.id, subscriber);
            spaceTopics.delete(space.id);
          }
        }
        peer.sendJson({ type: 'ack', id: msg.id, of: 'unsubscribe', topic: msg.topic });
        return;
      }
      case 'fetch': {
        const blob = await engine.getBlob(msg.blob);
        if (!blob) throw new SpaceportError('blob_not_found', `No blob has id "${msg.blob}".`);
        const { meta } = blob;
        peer.send(encodeFrame({ ref: msg.id ?? meta.id, index: 0, blob: meta.id, name: meta.name, mime: meta.mime, size: meta.size }, blob.bytes));
        return;
      }
      case 'ping':
        peer.sendJson({ type: 'pong', id: msg.id, time: new Date().toISOString() });
        return;
    }
  }

  handleInbound(ctx, peer, attachments, {
    decode: (text) => decodeMessage(text, ClientMessage, CLIENT_TYPES),
    expectUploads(msg) {
      const binary = msg.type === 'submit' && msg.files ? binaryIndexes(msg.files) : [];
      if (binary.length === 0) return NO_UPLOAD;
      if (msg.id === undefined) return 'submit: a submit with binary files needs an "id" for the frames to refer to.';
      return attachments.expect(msg.id, binary, (msg as { files: unknown[] }).files.length);
    },
    handle,
  });
  ws.on('close', () => core.router.drop(subscriber, jobTopics, spaceTopics));

  peer.sendJson({
    type: 'hello',
    connection: newId('conn'),
    protocol: 1,
    identity: { kind: who.kind, name: who.name },
    limits: { max_message_bytes: config.limits.clientMaxMessageBytes, max_blob_bytes: config.limits.maxBlobBytes, messages_per_second: config.limits.messagesPerSecond },
  });
  return peer;
}

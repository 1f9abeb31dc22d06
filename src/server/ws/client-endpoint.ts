import { isFinalLine, lineType } from '../../protocol/job-events.ts';
import { spaceStatuses } from '../../core/queue-monitor.ts';
import { parseTopic } from '../../core/topics.ts';
import type { Identity } from '../../core/types.ts';
import { CLIENT_TYPES, ClientMessage, asPlainSubmit } from '../../protocol/client-messages.ts';
import { queueFieldsOf } from '../../protocol/queue-fields.ts';
import { decodeMessage, type Decoded } from '../../protocol/decode.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { binaryIndexes, toSubmittedFiles } from '../file-specs.ts';
import { JobFollower, type FollowerOptions } from '../job-follower.ts';
import type { Replay } from '../job-feeds.ts';
import type { ServerContext } from '../server-context.ts';
import { Attachments } from './attachments.ts';
import { FilePush } from './file-push.ts';
import { NO_UPLOAD, handleInbound, type InboundHandlers } from './inbound.ts';
import { Peer, type PeerCloseListener } from './peer.ts';
import { newId } from '../../core/ids.ts';
import type { AcceptedMessage, AckMessage, HelloMessage, PongMessage } from '../../protocol/server-messages.ts';
import type { Connection } from '../../wire/connection.ts';
import { checkJobWebhook } from '../routes/webhook-routes.ts';

/** How long the binary parts announced by a submit may take to arrive. */
const UPLOAD_TIMEOUT_MS = 60_000;

/** The client protocol on /v1/ws (docs/protocol.md): submit, follow, cancel, subscribe, resume. */
export function acceptClient(ctx: ServerContext, connection: Connection, who: Identity): Peer {
  const peer = new Peer(connection, 'client', 'client', ctx.config.limits, ctx.metrics);
  ctx.peers.add(peer);
  const session = new ClientSession(ctx, peer, who);
  handleInbound(ctx, peer, session.attachments, session, { maxPayload: ctx.config.limits.clientMaxMessageBytes });
  peer.onClose(session);
  session.hello();
  return peer;
}

/**
 * One /v1/ws connection. A class rather than closures over the connection: its handlers live on
 * the prototype, so an idle connection costs one object here, not a dozen functions and their
 * scopes (see the idle-connections benchmark). It is both the inbound handler and the follower's
 * sink.
 */
class ClientSession implements InboundHandlers<ClientMessage>, FollowerOptions, PeerCloseListener {
  /** Made on the first submit or subscription. */
  private jobFollower: JobFollower | undefined;
  /** Made on the first `push_files`. */
  private filePush: FilePush | undefined;
  readonly attachments: Attachments;

  constructor(
    private readonly ctx: ServerContext,
    private readonly peer: Peer,
    private readonly who: Identity,
  ) {
    this.attachments = new Attachments(UPLOAD_TIMEOUT_MS, ctx.config.limits.maxBlobBytes);
  }

  private get follower(): JobFollower {
    return (this.jobFollower ??= new JobFollower(this.ctx, this.who, this));
  }

  hello(): void {
    const { limits } = this.ctx.config;
    this.peer.sendJson({
      type: 'hello',
      connection: newId('conn'),
      protocol: 1,
      identity: { kind: this.who.kind, name: this.who.name },
      limits: { max_message_bytes: limits.clientMaxMessageBytes, max_blob_bytes: limits.maxBlobBytes, messages_per_second: limits.messagesPerSecond },
    } satisfies HelloMessage);
  }

  peerClosed(): void {
    this.jobFollower?.close();
  }

  // ---- FollowerOptions: what the followed jobs and watched spaces send --------------------------

  onLine(jobId: string, line: string): void {
    if (this.filePush) this.filePush.send(jobId, line);
    else this.sendLine(jobId, line);
  }

  private sendLine(jobId: string, line: string): void {
    // Progress and positions may be coalesced for a slow reader (only the newest of a job's waiting ones goes).
    const type = lineType(line);
    this.peer.send(line, type === 'progress' || type === 'position' ? `${type}:${jobId}` : undefined);
    if (isFinalLine(line)) this.peer.flush();
  }

  private pushFilesOf(jobId: string, on: boolean | undefined): void {
    if (!on && !this.filePush) return;
    this.filePush ??= new FilePush(this.ctx.engine, this.peer, this.ctx.log, (id, line) => this.sendLine(id, line));
    this.filePush.choose(jobId, on === true);
  }

  onStatus(line: string): void {
    this.peer.send(line);
  }

  room(): Promise<void> | undefined {
    return this.peer.room();
  }

  /** Before a followed job's replay: the ack says whether the client's numbers still hold, and which epoch follows. */
  private opened(ack: { id: AckMessage['id']; of: 'subscribe' | 'resume'; topic: string }, jobId: string, r: Replay): void {
    this.peer.sendJson({ type: 'ack', ...ack, epoch: r.range.epoch, recovered: r.recovered } satisfies AckMessage);
    if (!r.gap) return;
    this.peer.error('resume_gap', `Events ${r.afterSeq + 1}..${r.range.firstSeq - 1} of job ${jobId} are no longer kept; replaying from ${r.range.firstSeq}.`, {
      job: jobId,
      after_seq: r.afterSeq,
      first_seq: r.range.firstSeq,
    });
  }

  // ---- InboundHandlers: what the client sends -----------------------------------------------------

  decode(text: string): Decoded<ClientMessage> {
    return decodeMessage(text, ClientMessage, CLIENT_TYPES, 'id', asPlainSubmit);
  }

  expectUploads(msg: ClientMessage): Promise<Array<Buffer | undefined>> | string {
    const binary = msg.type === 'submit' && msg.files ? binaryIndexes(msg.files) : [];
    if (binary.length === 0) return NO_UPLOAD;
    if (msg.id === undefined) return 'submit: a submit with binary files needs an "id" for the frames to refer to.';
    return this.attachments.expect(msg.id, binary, (msg as { files: unknown[] }).files.length);
  }

  /** A client's submits in a row are pipelined (where the engine is remote): each starts once the one before it reached the engine. */
  pipelines(msg: ClientMessage): boolean {
    return msg.type === 'submit';
  }

  async handle(msg: ClientMessage, upload: Promise<Array<Buffer | undefined>>, issued?: () => void): Promise<void> {
    const { core, engine, config } = this.ctx;
    const { peer, who } = this;
    switch (msg.type) {
      case 'submit': {
        const files = msg.files ?? [];
        const parts = upload === NO_UPLOAD ? [] : await upload;
        // Awaited only when there is one: a plain submit reaches the queue without a turn of waiting.
        if (msg.webhook) await checkJobWebhook(this.ctx, msg.space, msg.webhook);
        await this.follower.submit(
          who,
          {
            space: msg.space,
            prompt: msg.prompt,
            options: msg.options,
            files: toSubmittedFiles(files, parts, config.limits.maxBlobBytes),
            traceparent: msg.traceparent,
            idempotencyKey: msg.idempotency_key,
            ...queueFieldsOf(msg),
          },
          (_, accepted) => {
            peer.sendJson({
              type: 'accepted',
              id: msg.id,
              job: accepted.job.id,
              space: accepted.job.space,
              position: accepted.position,
              eta_ms: accepted.eta_ms,
              ...(accepted.existing && { existing: true }),
            } satisfies AcceptedMessage);
            this.pushFilesOf(accepted.job.id, msg.push_files);
          },
          issued,
        );
        return;
      }
      case 'cancel': {
        const job = await core.jobs.cancel(who, msg.job);
        peer.sendJson({ type: 'ack', id: msg.id, of: 'cancel', job: job.id } satisfies AckMessage);
        return;
      }
      case 'resume':
      case 'subscribe': {
        const topicText = msg.type === 'resume' ? `job:${msg.job}` : msg.topic;
        const topic = parseTopic(topicText);
        if (!topic) throw new SpaceportError('invalid_message', `subscribe: topic must be "job:<id>", "space:<name>" or "all", not "${topicText.slice(0, 80)}".`);
        if (topic.kind === 'job') {
          await core.jobs.getVisible(who, topic.jobId);
          this.pushFilesOf(topic.jobId, msg.push_files);
          const ack = { id: msg.id, of: msg.type, topic: topicText };
          await this.follower.follow(topic.jobId, msg.after_seq ?? 0, msg.epoch, (r) => this.opened(ack, topic.jobId, r), true);
        } else if (topic.kind === 'space') {
          const space = await core.jobs.requireSpace(topic.name);
          this.follower.watchSpace(space.id);
          peer.sendJson({ type: 'ack', id: msg.id, of: 'subscribe', topic: topicText } satisfies AckMessage);
          await this.sendStatuses(space.id);
        } else {
          this.follower.watchAll(true);
          peer.sendJson({ type: 'ack', id: msg.id, of: 'subscribe', topic: 'all' } satisfies AckMessage);
          await this.sendStatuses();
        }
        return;
      }
      case 'unsubscribe': {
        const topic = parseTopic(msg.topic);
        if (!topic) throw new SpaceportError('invalid_message', `unsubscribe: unknown topic "${msg.topic.slice(0, 80)}".`);
        if (topic.kind === 'job') {
          this.jobFollower?.unfollow(topic.jobId);
          this.filePush?.choose(topic.jobId, false);
        } else if (topic.kind === 'all') this.jobFollower?.watchAll(false);
        else {
          const space = await engine.getSpace(topic.name);
          if (space) this.jobFollower?.unwatchSpace(space.id);
        }
        peer.sendJson({ type: 'ack', id: msg.id, of: 'unsubscribe', topic: msg.topic } satisfies AckMessage);
        return;
      }
      case 'fetch': {
        const blob = await engine.getBlob(msg.blob);
        if (!blob) throw new SpaceportError('blob_not_found', `No blob has id "${msg.blob}".`);
        const { meta } = blob;
        peer.sendFrame({ ref: msg.id ?? meta.id, index: 0, blob: meta.id, name: meta.name, mime: meta.mime, size: meta.size }, blob.bytes);
        return;
      }
      case 'ping':
        peer.sendJson({ type: 'pong', id: msg.id, time: new Date().toISOString() } satisfies PongMessage);
        return;
    }
  }

  private async sendStatuses(only?: string): Promise<void> {
    const statuses = await spaceStatuses(this.ctx.engine, (space) => only === undefined || space.id === only);
    for (const status of statuses) this.peer.sendJson({ type: 'space_status', ...status });
  }
}

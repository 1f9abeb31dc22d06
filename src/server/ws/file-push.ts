import { isFinalLine, lineHasFiles } from '../../protocol/job-events.ts';
import type { Engine } from '../../core/engine-port.ts';
import type { Logger } from '../logger.ts';
import type { Peer } from './peer.ts';

type SendLine = (jobId: string, line: string) => void;

/**
 * `push_files` on a connection: the files of a chosen job's `partial` and `result` events go right
 * after each event, as binary frames `{ref: job, seq, index, blob, name, mime, size}`, back to back.
 * Reading a file may wait (disk, Redis), so while one is being read everything the connection sends
 * after it waits its turn: nothing overtakes an event, and its frames are never split from it.
 */
export class FilePush {
  private readonly jobs = new Set<string>();
  /** Set while a push is reading its files. */
  private outbox: Promise<void> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly peer: Peer,
    private readonly log: Logger,
    private readonly sendLine: SendLine,
  ) {}

  choose(jobId: string, on: boolean): void {
    if (on) this.jobs.add(jobId);
    else this.jobs.delete(jobId);
  }

  /** Sends the event line, with its files when its job asked for them; in order with everything else. */
  send(jobId: string, line: string): void {
    const push = this.jobs.has(jobId) && lineHasFiles(line);
    if (isFinalLine(line)) this.jobs.delete(jobId);
    if (push) this.inOrder(() => this.sendWithFiles(jobId, line));
    else if (this.outbox) this.inOrder(() => this.sendLine(jobId, line));
    else this.sendLine(jobId, line);
  }

  private inOrder(send: () => void | Promise<void>): void {
    const sent = (this.outbox ?? Promise.resolve()).then(send).catch((err) => this.log.error({ err }, 'pushing files failed'));
    this.outbox = sent;
    void sent.then(() => {
      if (this.outbox === sent) this.outbox = undefined;
    });
  }

  /** A file no longer held (live media past its window) is reported in its frame's place. */
  private async sendWithFiles(jobId: string, line: string): Promise<void> {
    const event = JSON.parse(line) as { seq: number; files: Array<{ id: string; name: string; mime: string; size: number }> };
    // A read that fails (a Redis outage) is reported like a missing file: the event itself still goes.
    // Live media is lent as it is held rather than copied, and a file read is read into lent
    // memory where the engine has some; the socket gives either back once written.
    const blobs = await Promise.all(event.files.map((f) => this.engine.lendLiveBlob?.(f.id) ?? (this.engine.lendBlob?.(f.id) ?? this.engine.getBlob(f.id)).catch(() => null)));
    this.sendLine(jobId, line);
    event.files.forEach((f, index) => {
      const blob = blobs[index];
      if (blob) this.peer.sendFrame({ ref: jobId, seq: event.seq, index, blob: f.id, name: f.name, mime: f.mime, size: f.size }, blob.bytes);
      else
        this.peer.error('blob_not_found', `File ${index} of event ${event.seq} of job ${jobId} is no longer held.`, {
          job: jobId,
          seq: event.seq,
          index,
          blob: f.id,
        });
    });
  }
}

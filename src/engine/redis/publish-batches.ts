/**
 * Coalesces the bus messages published in one turn of the event loop: consecutive messages to the
 * same channel leave as one PUBLISH, joined by newlines (a token burst of one space becomes one
 * publish, not one per token). Order is kept across channels — a message to another channel in
 * between starts a new PUBLISH — so subscribers see exactly the sequence that was published.
 * Bus messages are single lines (JSON, or tab-separated fields around JSON), which is checked.
 */
export class PublishBatches {
  private segments: Array<{ channel: string; messages: string[] }> = [];
  private scheduled = false;

  constructor(private readonly send: (channel: string, payload: string) => void) {}

  publish(channel: string, message: string): void {
    if (message.includes('\n')) throw new Error('a bus message must be a single line');
    const last = this.segments[this.segments.length - 1];
    if (last?.channel === channel) last.messages.push(message);
    else this.segments.push({ channel, messages: [message] });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    const segments = this.segments;
    this.segments = [];
    for (const { channel, messages } of segments) this.send(channel, messages.join('\n'));
  }
}

/** The messages of one received PUBLISH. */
export function splitBatch(payload: string): string[] {
  return payload.split('\n');
}

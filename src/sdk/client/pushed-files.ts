type Message = Record<string, any>;

interface Held {
  message: Message;
  missing: number;
  deliver: (message: Message) => void;
}

/**
 * The files a job asked to have pushed (`push_files`) arrive as binary frames right after their
 * event, back to back. This holds such an event until its frames are in, then hands it on with
 * each file's `bytes` (left out where the gateway reported the file gone: `blob_not_found`).
 */
export class PushedFiles {
  private held: Held | undefined;

  /** Holds `message` if it names files; false when there is nothing to wait for. */
  hold(message: Message, deliver: (message: Message) => void): boolean {
    const files = message.files as unknown[] | undefined;
    if (!files?.length) return false;
    this.held = { message, missing: files.length, deliver };
    return true;
  }

  /** A pushed file's frame; false when it is not one of the held event's. */
  frame(header: Record<string, unknown>, payload: Uint8Array): boolean {
    const file = this.fileOf(header);
    if (!file) return false;
    file.bytes = payload;
    this.arrived();
    return true;
  }

  /** An error message; true when it reports one of the held event's files gone (nothing will come for it). */
  gone(error: Message): boolean {
    if (error.code !== 'blob_not_found' || !this.fileOf(error)) return false;
    this.arrived();
    return true;
  }

  private fileOf(ref: Record<string, unknown>): Message | undefined {
    const m = this.held?.message;
    if (!m || (ref.ref ?? ref.job) !== m.job || ref.seq !== m.seq) return undefined;
    return m.files[ref.index as number];
  }

  private arrived(): void {
    const held = this.held!;
    if (--held.missing > 0) return;
    this.held = undefined;
    held.deliver(held.message);
  }
}

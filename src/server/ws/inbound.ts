import type { Decoded } from '../../protocol/decode.ts';
import { asSpaceportError } from '../../protocol/errors.ts';
import type { ServerContext } from '../server-context.ts';
import type { Attachments } from './attachments.ts';
import type { Peer } from './peer.ts';

type Upload = Promise<Array<Buffer | undefined>>;

export interface InboundHandlers<T> {
  decode(text: string): Decoded<T>;
  /** Runs at once, before the chain: registers the binary parts a message announces (they may arrive before its turn). */
  expectUploads(msg: T): Upload | string;
  handle(msg: T, upload: Upload): Promise<void>;
}

/**
 * The inbound side every endpoint shares: rate limit, binary frames to their attachments, decode
 * with documented errors, and handling strictly in arrival order (a cancel never overtakes the
 * submit before it; a worker's tokens keep their order whatever a handler awaits).
 */
export function handleInbound<T extends { type: string; id?: string | number | undefined }>(
  ctx: ServerContext,
  peer: Peer,
  attachments: Attachments,
  handlers: InboundHandlers<T>,
): { afterPending(task: () => Promise<void>): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  peer.ws.on('message', (data: Buffer, isBinary) => {
    ctx.metrics.messagesIn.inc({ endpoint: peer.endpoint });
    if (!peer.allowMessage()) return peer.error('rate_limited');
    if (isBinary) {
      try {
        attachments.accept(data);
      } catch (err) {
        const e = asSpaceportError(err);
        peer.error(e.code, e.message);
      }
      return;
    }
    const decoded = handlers.decode(data.toString('utf8'));
    if (!decoded.ok) return peer.error(decoded.error.code, decoded.error.message, decoded.id === undefined ? undefined : { id: decoded.id });
    const msg = decoded.value;
    const upload = handlers.expectUploads(msg);
    if (typeof upload === 'string') return peer.error('invalid_message', upload, msg.id === undefined ? undefined : { id: msg.id });
    upload.catch(() => {}); // surfaced when the chain reaches this message
    chain = chain.then(() =>
      handlers.handle(msg, upload).catch((err) => {
        const e = asSpaceportError(err);
        if (e.code === 'internal_error') ctx.log.error({ err, type: msg.type, endpoint: peer.endpoint }, 'message failed');
        peer.error(e.code, e.message, { ...e.details, ...(msg.id !== undefined && { id: msg.id }) });
      }),
    );
  });
  peer.ws.on('close', () => attachments.clear());
  return {
    /** Runs `task` once every message received so far has been handled. */
    afterPending: (task) => (chain = chain.then(task)),
  };
}

export const NO_UPLOAD: Upload = Promise.resolve([]);

import { giveBack } from '../protocol/lent-bytes.ts';

/** A message going out: text, or a binary message in parts (a file frame's header, then its bytes) sent as one frame. */
export type OutMessage = string | Uint8Array[];

/** A binary message's size: the sum of its parts. */
export const partsLength = (parts: Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);

/** A message that will not be sent: the memory any of its parts borrowed goes back (protocol/lent-bytes.ts). */
export function dropped(message: OutMessage): void {
  if (typeof message !== 'string') for (const p of message) giveBack(p);
}

/**
 * The little of a WebSocket the SDK uses — what the browser's `WebSocket` and the `ws` package
 * both provide — so one client code base runs in both, with the socket injected.
 */
export interface WebSocketLike {
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Opens a socket to `url`, presenting `token` if there is one. */
export type Transport = (url: string, token: string | undefined) => WebSocketLike;

/** Browsers cannot set headers on a WebSocket, so the token travels as `?token=`. */
export const browserTransport: Transport = (url, token) => {
  const Ctor = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!Ctor) throw new Error('No global WebSocket here: pass a transport (in Node: nodeTransport from src/sdk/node.ts).');
  return new Ctor(token ? `${url}?token=${encodeURIComponent(token)}` : url);
};

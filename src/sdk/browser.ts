/** The client SDK for browsers (the page's own WebSocket). */
export { SpaceportClient, type ClientOptions, type ConnectionState } from './client/spaceport-client.ts';
export { JobHandle } from './client/job-handle.ts';
export * from './client/types.ts';

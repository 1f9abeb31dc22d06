import { SpaceportClient, nodeTransport, type ClientOptions } from '../../src/sdk/node.ts';
import { runTs, type Proc } from './processes.ts';

/** A client SDK instance in Node against a test gateway, reconnecting fast. */
export async function sdkClient(url: string, options: Partial<ClientOptions> = {}): Promise<SpaceportClient> {
  const client = new SpaceportClient({ url, transport: nodeTransport, reconnect: { minMs: 50, maxMs: 500 }, ...options });
  await client.connect();
  return client;
}

/** test/fixtures/sdk-worker.ts as its own process; resolves once it has registered. */
export async function sdkWorker(url: string, space: string, token: string, slots = 1): Promise<Proc> {
  const proc = runTs('test/fixtures/sdk-worker.ts', [url, space, token, String(slots)]);
  await proc.waitFor('"type":"registered"');
  return proc;
}

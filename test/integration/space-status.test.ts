import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/** Live connection status: a space's watchers are told when its workers come and go. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'watched', inputs: ['prompt'], open_registration: true });
});
afterAll(() => gw.stop());

const statuses = (client: WsPeer) => client.messages.filter((m) => m.type === 'space_status' && m.space === 'watched');
/** Waits for the space's status to say `connected` (or not) in a message after the ones seen so far. */
const nextStatus = (client: WsPeer, connected: boolean) => {
  const seen = statuses(client).length;
  return until(`connected: ${connected}`, () =>
    statuses(client)
      .slice(seen)
      .find((s) => s.connected === connected),
  );
};

describe('space status, live', () => {
  it('tells a watcher when a worker connects and when it leaves, each change once', async () => {
    const client = await gw.client();
    client.send({ type: 'subscribe', id: 's', topic: 'space:watched' });
    await client.wait('subscribed', (m) => m.type === 'ack' && m.id === 's');
    // The snapshot a subscription starts with: nobody serves it yet.
    await until('the first status', () => statuses(client).length > 0);
    const connected = nextStatus(client, true);
    const worker = await gw.worker(['watched'], 2);
    expect(await connected).toMatchObject({ workers: 1, slots: 2, free_slots: 2 });
    const gone = nextStatus(client, false);
    worker.close();
    await gone;
    expect(statuses(client).map((s) => s.connected)).toEqual([false, true, false]);
    client.close();
  });

  it('does the same for a remote app of the WebSocket Spaces dialect', async () => {
    const client = await gw.client();
    client.send({ type: 'subscribe', id: 's', topic: 'all' });
    await client.wait('subscribed', (m) => m.type === 'ack' && m.id === 's');
    const connected = nextStatus(client, true);
    const app = await WsPeer.open(`${gw.ws}/websocket-spaces`);
    app.send({ type: 'register', space_name: 'watched' });
    await app.wait('registered', (m) => m.type === 'registered');
    await connected;
    const gone = nextStatus(client, false);
    app.close();
    await gone;
    client.close();
  });
});

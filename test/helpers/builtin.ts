import { ADMIN_TOKEN, testGateway, type TestGateway } from './gateway.ts';
import { until } from './latch.ts';
import { runTs, type Proc } from './processes.ts';

/**
 * A test gateway with the real built-in workers (src/workers/main.ts as its own process), ready
 * once each of `spaces` has its worker. For the dialect conformance tests.
 */
export async function gatewayWithBuiltinWorkers(spaces: string[]): Promise<{ gw: TestGateway; stop(): Promise<void> }> {
  const gw = await testGateway();
  const workers: Proc = runTs('src/workers/main.ts', [gw.url], { SPACEPORT_TOKEN: ADMIN_TOKEN });
  await workers.waitFor('"event":"builtin-workers"', 30_000);
  for (const name of spaces) await until(`a worker for ${name}`, async () => (await gw.http('GET', `/v1/spaces/${name}`)).body.connected || undefined, 20_000);
  return {
    gw,
    async stop() {
      await workers.kill('SIGTERM');
      await gw.stop();
    },
  };
}

/**
 * The built-in workers as their own process (so model inference never stalls the gateway's event
 * loop): makes sure each demo space exists, then serves it like any remote worker would.
 * Started by `spaceport serve` unless --no-demo; usage: SPACEPORT_TOKEN=<admin-token> node --import ./src/runtime/register.mjs src/workers/main.ts <gateway-url>
 * (the token in the environment, never on the command line, where every local user's `ps` shows it)
 */
import { serve } from '../sdk/worker/serve.ts';
import { DEMO_SPACES } from './demo-spaces.ts';

const host = process.argv[2]!;
const token = process.env.SPACEPORT_TOKEN;
if (!host || !token) throw new Error('usage: SPACEPORT_TOKEN=<admin-token> src/workers/main.ts <gateway-url>');

for (const space of DEMO_SPACES) {
  const res = await fetch(`${host}/v1/admin/spaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: space.name, description: space.description, inputs: space.inputs, ...(space.timeout_s && { timeout_s: space.timeout_s }) }),
  });
  if (res.status !== 201 && res.status !== 409) throw new Error(`creating demo space ${space.name}: ${res.status} ${await res.text()}`);
  serve({ host, spaces: [space.name], token, slots: space.slots, name: `builtin:${space.name}`, handleSignals: false, drainTimeoutMs: 5000 }, space.handler());
}
process.stdout.write(`${JSON.stringify({ event: 'builtin-workers', spaces: DEMO_SPACES.map((s) => s.name) })}\n`);

// The gateway stops us with SIGTERM when it shuts down; leave at once (it requeues what we held).
process.on('SIGTERM', () => process.exit(0));

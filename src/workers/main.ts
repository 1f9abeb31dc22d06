/**
 * The built-in workers as their own process (so model inference never stalls the gateway's event
 * loop): makes sure each demo space exists, then serves it like any remote worker would.
 * Started by `spaceport serve` unless --no-demo; usage: SPACEPORT_TOKEN=<admin-token> node --import ./src/runtime/register.mjs src/workers/main.ts <gateway-url>
 * (the token in the environment, never on the command line, where every local user's `ps` shows it)
 */
import { serve } from '../sdk/worker/serve.ts';
import { createDemoSpaces } from './demo-space-list.ts';
import { demoPresentation } from './demo-presentations.ts';
import { DEMO_SPACES, handlerFor } from './demo-spaces.ts';

const host = process.argv[2]!;
const token = process.env.SPACEPORT_TOKEN;
if (!host || !token) throw new Error('usage: SPACEPORT_TOKEN=<admin-token> src/workers/main.ts <gateway-url>');

// `spaceport serve` has made them already; a gateway started otherwise gets them now.
await createDemoSpaces(host, token);
for (const space of DEMO_SPACES) {
  // Each declares how its space presents itself (output kind, options, examples), as any worker may.
  const presentation = await demoPresentation(space.name);
  const declare = presentation && { [space.name]: presentation };
  serve({ host, spaces: [space.name], token, slots: space.slots, name: `builtin:${space.name}`, handleSignals: false, drainTimeoutMs: 5000, ...(declare && { declare }) }, handlerFor(space));
}
process.stdout.write(`${JSON.stringify({ event: 'builtin-workers', spaces: DEMO_SPACES.map((s) => s.name) })}\n`);

// The gateway stops us with SIGTERM when it shuts down; leave at once (it requeues what we held).
process.on('SIGTERM', () => process.exit(0));

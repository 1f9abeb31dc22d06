/**
 * The bare relay's worker (openai-relay.ts): dials out to the relay, and for each request asks the
 * model server (a kept connection) and sends the answer's bytes back as they arrive.
 * Usage: openai-relay-worker.ts RELAY_PORT UPSTREAM_URL. Prints {"event":"listening",…} once connected.
 */
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';

const [relayPort, upstream] = process.argv.slice(2) as [string, string];
const agent = new Agent({ keepAlive: true });
const ws = new WebSocket(`ws://127.0.0.1:${relayPort}/worker`, { perMessageDeflate: false });

ws.on('open', () => process.stdout.write(`${JSON.stringify({ event: 'listening', port: Number(relayPort) })}\n`));
ws.on('message', (raw) => {
  const { id, body } = JSON.parse(raw.toString()) as { id: number; body: string };
  const req = request(`${upstream}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (data: string) => ws.send(JSON.stringify({ id, data })));
    res.on('end', () => ws.send(JSON.stringify({ id, end: true })));
  });
  req.end(body);
});
ws.on('close', () => process.exit(0));

/**
 * An OpenAI-compatible chat-completions server for the time-to-first-token benchmark: answers
 * every streaming request at once with `BENCH_OPENAI_TOKENS` content chunks (default 8) and
 * [DONE], so what is measured in front of it is the path, not a model. Prints
 * {"event":"listening","port":N}.
 */
import { createServer } from 'node:http';

const tokens = Number(process.env.BENCH_OPENAI_TOKENS ?? 8);

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
  // The body is read (a server must), not looked at: every request gets the same answer.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'bench', object: 'chat.completion.chunk', created: 0, model: 'bench', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    // The first content goes out with the headers, as a model's first token would.
    res.write(chunk({ role: 'assistant', content: 'tok' }, null));
    for (let i = 1; i < tokens; i++) res.write(chunk({ content: ' tok' }, null));
    res.end(`${chunk({}, 'stop')}data: [DONE]\n\n`);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ event: 'listening', port: (server.address() as { port: number }).port })}\n`));

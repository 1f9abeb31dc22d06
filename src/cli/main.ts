import { Command } from 'commander';

/**
 * argv → config → start. No business logic lives here. Each command's module is loaded when it
 * runs: a gateway does not carry the worker and client SDKs in its heap, nor a worker the server.
 */
const program = new Command();
program.name('spaceport').description('A real-time gateway for AI inference.');

program
  .command('serve')
  .description('Run the gateway (HTTP + WebSocket) with the embedded store')
  .option('-p, --port <port>', 'port to listen on (env PORT)', process.env.PORT ?? '8000')
  .option('--host <host>', 'interface to bind (env HOST)', process.env.HOST ?? '0.0.0.0')
  .option('--data <dir>', 'data directory (env SPACEPORT_DATA)', process.env.SPACEPORT_DATA ?? './.spaceport')
  .option('--tls-cert <file>', 'serve HTTPS/WSS with this certificate (PEM)')
  .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
  .option('--allowed-origin <origin...>', 'browser origins allowed to connect (default: any)')
  .option('--trusted-proxy <address...>', 'reverse proxies whose X-Forwarded-For names the client (env SPACEPORT_TRUSTED_PROXIES)')
  .option('--redis <url>', 'share state with other instances through this Redis (env SPACEPORT_REDIS_URL)')
  .option('--no-demo', 'do not create the demo spaces or start the built-in workers (env SPACEPORT_DEMO=0)')
  .option('--wire <fast|plain>', "how connections read and write: plain uses only ws's public API, to rule out the fast paths (env SPACEPORT_WIRE)")
  .action(async (flags) => {
    await (await import('./serve.ts')).serve(flags);
  });

program
  .command('worker')
  .description('Serve jobs for one or more spaces from this machine (dials out; works behind NAT)')
  .requiredOption('--host <url>', 'the gateway, e.g. https://gateway.example.com')
  .requiredOption('--spaces <names>', 'comma-separated space names')
  .option('--token <token>', 'worker token (env SPACEPORT_TOKEN)')
  .option('--slots <n>', 'jobs at once', '1')
  .option('--name <name>', 'name shown in the admin panel')
  .option('--exec <command>', 'run this command per job: job JSON on stdin, stdout lines are tokens')
  .option('--handler <file>', 'a JS/TS module exporting a handler(job, ctx)')
  .option('--openai <baseUrl>', 'forward prompts to an OpenAI-compatible server (with --model)')
  .option('--model <name>', 'model name for --openai')
  .option('--api-key <key>', 'API key for --openai (env OPENAI_API_KEY)')
  .option('--declare <file>', 'a JSON file: per space, its output kind, options schema and examples (docs/spaces.md#presentation)')
  .option('--json', 'log JSON lines instead of text')
  .action(async (flags) => {
    await (await import('./worker.ts')).worker(flags);
  });

program
  .command('submit <space>')
  .description('Submit a job and stream its output (tokens to stdout, status to stderr; Ctrl-C cancels)')
  .option('--host <url>', 'the gateway (env SPACEPORT_HOST)', process.env.SPACEPORT_HOST ?? 'http://localhost:8000')
  .option('--token <key>', 'API key (env SPACEPORT_TOKEN)')
  .option('--prompt <text>', 'the prompt')
  .option('--file <path>', 'an input file (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--option <k=v>', 'a job option (repeatable; JSON values are parsed)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--out <dir>', 'where result files are written', '.')
  .option('--json', 'print the result data as one JSON line')
  .action(async (space: string, flags) => {
    process.exitCode = await (await import('./submit.ts')).submit(space, flags);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`spaceport: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

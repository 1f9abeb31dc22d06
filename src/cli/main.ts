import { Command } from 'commander';
import { serve } from './serve.ts';

/** argv → config → start. No business logic lives here. */
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
  .action(async (flags) => {
    await serve(flags);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`spaceport: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

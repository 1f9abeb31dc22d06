import type { SpaceDeclaration } from '../../protocol/space-presentation.ts';

/** What `serve` is told: where, which spaces, with what token, and how it behaves. */
export interface WorkerOptions {
  /** The gateway: `http(s)://host:port` or `ws(s)://host:port`. */
  host: string;
  spaces: string[];
  /** A worker token for these spaces (or the admin token). */
  token: string;
  /** Jobs run at once. @default 1 */
  slots?: number;
  /** Shown in the admin panel and logs. @default the host name */
  name?: string;
  /** Drain on SIGTERM/SIGINT: finish running jobs (at most `drainTimeoutMs`), take no new ones, exit. @default true */
  handleSignals?: boolean;
  /** @default 30_000 */
  drainTimeoutMs?: number;
  /** Per space: its output kind, options schema and examples, declared at each registration (docs/spaces.md#presentation). */
  declare?: Record<string, SpaceDeclaration>;
  /** What happens, for a person to read (the CLI prints these). */
  onLog?: (event: WorkerLogEvent) => void;
}

export type WorkerLogEvent =
  | { type: 'connecting'; url: string }
  | {
      type: 'registered';
      worker: string;
      spaces: Array<{ id: string; name: string }>;
      slots: number;
      /** Jobs it kept running across a reconnect; `received`: of its numbered messages, how many the gateway had; `sentAgain`: how many went again. */
      reattached: Array<{ job: string; received?: number; sentAgain?: number }>;
    }
  | { type: 'job'; job: string; space: string; attempt: number }
  | { type: 'done'; job: string; ms: number; outcome: 'result' | 'error' | 'cancelled'; message?: string }
  | { type: 'reconnecting'; inMs: number; reason: string }
  | { type: 'draining'; running: number }
  | { type: 'error'; message: string };

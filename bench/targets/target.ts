import type { ProbeReport } from '../server-probe.ts';

/** What a benchmark worker does with each job it is given. */
export type JobHandler = (job: string | number, prompt: string, reply: Reply) => void;
export interface Reply {
  token(text: string): void;
  result(data: unknown): void;
  /** Streams binary payloads, each as a binary frame, and finishes the job. */
  media(payloads: Buffer[]): void;
}

export interface Submitted {
  /** The server took the job (where it says so: the gateway's `accepted`), naming it. */
  accepted?: (job: string | number) => void;
  token?: () => void;
  /** `bytes`: the total size of the job's binary payloads, when it had any. Also told when the job ended cancelled. */
  result: (bytes?: number) => void;
}

/** A benchmark client: submits jobs and is told of each token and of the result. */
export interface BenchClient {
  submit(prompt: string, on: Submitted): void;
  /** Asks to cancel a job (where the protocol can: the gateway's); its `result` is told once it ended. */
  cancel?(job: string | number): void;
  close(): void;
}

export interface Closable {
  close(): void;
}

/** A server under test, with the means to connect workers and clients speaking its protocol. */
export interface Target {
  name: string;
  /** The benchmarks this target takes part in; all when absent. */
  only?: string[];
  /**
   * CPU used so far by every process on the server side (gateways, Redis), and the memory of the
   * process clients connect to; after a full GC in the Node processes when `gc`.
   */
  probe(gc?: boolean): Promise<ProbeReport>;
  worker(slots: number, onJob: JobHandler): Promise<Closable>;
  client(): Promise<BenchClient>;
  /** An authenticated client connection, resolved once it is usable; it then does nothing. */
  connect(): Promise<Closable>;
  /** A connection that receives every job's events (a topic subscriber), calling `onToken` per token. */
  subscriber(onToken: () => void): Promise<Closable>;
  /** Jobs wait in a queue while no worker is free (the gateway's engines; the relays have none). */
  queues?: boolean;
  /**
   * A relay with no queue at all: each job goes to a worker at once, whatever its slots. In the
   * queue-throughput row it is the ceiling, the most a gateway over WebSocket could do on this machine.
   */
  queueless?: boolean;
  /** The HTTP base of the gateway clients reach (`http://host:port`), for its probes and listings. */
  http?: string;
  /** An OpenAI-compatible chat-completions API to stream from (the time-to-first-token benchmark's targets). */
  openAi?: { baseUrl: string; apiKey: string; model: string };
  /** Another target of the same kind on server processes of its own, just started (see Benchmark.freshServers). */
  fresh?(): Promise<Target>;
  stop(): Promise<void>;
}

/** The bearer token the baselines check, so their connections are authenticated too. */
export const BASELINE_TOKEN = 'bench-client-token';

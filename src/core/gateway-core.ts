import { systemClock, type Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import { DEFAULT_BUDGETS, type Budgets } from './budgets.ts';
import { Dispatcher, type DispatchOptions } from './dispatcher.ts';
import { isFinalLine } from '../protocol/job-events.ts';
import { JobService, type QueueHooks } from './job-service.ts';
import { QueueMonitor } from './queue-monitor.ts';
import { SessionService } from './session-service.ts';
import { SpaceVisibility } from './space-visibility.ts';
import { SubscriberRouter } from './subscriber-router.ts';
import { Sweeper, type SweepOptions } from './sweeper.ts';
import type { Telemetry } from './telemetry.ts';
import { Webhooks, type WebhookOptions, type WebhookSender } from './webhooks.ts';
import { CHANNEL, type ControlMessage } from './topics.ts';

export interface CoreOptions extends DispatchOptions, SweepOptions, WebhookOptions {
  /** Sends webhook deliveries (the server's, with its destination rules); none: no webhooks are sent. */
  webhookSender?: WebhookSender;
  /** Queue positions and space status are pushed at most this often per space. @default 250 */
  statusIntervalMs: number;
  /** What one caller may hold at once. @default DEFAULT_BUDGETS */
  budgets?: Budgets;
  /** Time and timers. @default the system clock (tests pass a manual one) */
  clock?: Clock;
}

export interface GatewayCore {
  readonly engine: Engine;
  readonly jobs: JobService;
  readonly sessions: SessionService;
  readonly dispatcher: Dispatcher;
  readonly router: SubscriberRouter;
  /** Which spaces' jobs anyone may watch. */
  readonly visibility: SpaceVisibility;
  readonly monitor: QueueMonitor;
  readonly sweeper: Sweeper;
  close(): void;
}

/**
 * Wires the core services to an engine: bus messages become deliveries to local subscribers and
 * kicks/cancels for local workers. Everything here is transport-free; server/ adds the sockets.
 */
/**
 * `serverControl` is given the control messages that are the server's to act on (revoked
 * credentials close sockets; the core has none).
 */
export function createCore(engine: Engine, options: CoreOptions, telemetry: Telemetry, serverControl?: (control: ControlMessage) => void): GatewayCore {
  const onError = (err: unknown, stage: string) => telemetry.backgroundError(err, stage);
  let monitor: QueueMonitor | undefined;
  const hooks: QueueHooks = {
    changed: (spaceId) => monitor?.changed(spaceId),
    told: (spaceId, jobId, position) => monitor?.told(spaceId, jobId, position),
    placed: (spaceId, jobId) => monitor?.placed(spaceId, jobId),
  };
  const budgets = options.budgets ?? DEFAULT_BUDGETS;
  const clock = options.clock ?? systemClock;
  const visibility = new SpaceVisibility();
  void engine.listSpaces().then(
    (spaces) => {
      for (const s of spaces) visibility.note(s);
    },
    (err: unknown) => onError(err, 'spaces'),
  );
  const webhooks = options.webhookSender && new Webhooks(engine, options.webhookSender, clock, onError, options);
  const jobs = new JobService(engine, webhooks ? webhooks.observe(telemetry) : telemetry, hooks, budgets, clock, visibility);
  const sessions = new SessionService(engine, jobs, budgets, clock);
  monitor = new QueueMonitor(engine, jobs, options.statusIntervalMs, onError, clock);
  const dispatcher = new Dispatcher(engine, jobs, options, onError, clock);
  const router = new SubscriberRouter(
    (spaceId) => visibility.isPublic(spaceId),
    (spaceId, on) => engine.watch?.(spaceId, on),
  );
  const sweeper = new Sweeper(engine, jobs, dispatcher, options, onError, clock);

  const unsubscribe = engine.subscribe({
    jobEvent(spaceId, jobId, ownerId, line, reach) {
      try {
        router.routeEvent(spaceId, jobId, ownerId, line, isFinalLine(line), reach);
      } catch (err) {
        onError(err, 'bus');
      }
    },
    message(channel, message) {
      if (channel !== CHANNEL.control) return;
      try {
        const control = JSON.parse(message) as ControlMessage;
        if (control.op === 'queued') void dispatcher.announced(control.space, control.n);
        else if (control.op === 'cancel') dispatcher.cancelLocal(control.job, control.worker, control.reason);
        else if (control.op === 'lost') dispatcher.forget(control.job, control.worker);
        else if (control.op === 'withdrawn') dispatcher.withdraw(control.job);
        else if (control.op === 'worker') void dispatcher.adminAction(control.worker, control.action).catch((err) => onError(err, 'worker-action'));
        else if (control.op === 'status') router.routeStatus(control.space, control.line);
        else if (control.op === 'space') {
          webhooks?.forgetSpace(control.space);
          control.public === undefined ? visibility.forget(control.space) : visibility.note({ id: control.space, visibility: control.public ? 'public' : 'owner' });
        } else serverControl?.(control);
      } catch (err) {
        onError(err, 'bus');
      }
    },
  });
  sweeper.start();
  webhooks?.start();

  return {
    engine,
    jobs,
    sessions,
    dispatcher,
    router,
    visibility,
    monitor,
    sweeper,
    close() {
      unsubscribe();
      sweeper.stop();
      webhooks?.stop();
      monitor.close();
    },
  };
}

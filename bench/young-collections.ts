import { getHeapStatistics } from 'node:v8';
import { YoungCollector } from '../src/server/young-collector.ts';

/** How often the benchmark process looks at its Buffer memory while media flows. */
const LOOK_EVERY_MS = 5;

/**
 * The benchmark process plays every client and worker, so it relays as many MiB as the server it
 * measures, and its heap is past V8's threshold for full collections: left alone it ran them back to
 * back (half its CPU, marking), competing with the server for the machine's two cores. The same
 * cure as the gateway's (src/server/young-collector.ts), fed by the growth of its Buffer memory
 * since it cannot count the frames of every target's client library. Returns the stop.
 */
export function collectYoungWhileRelaying(): () => void {
  const collector = new YoungCollector(4 * 1024 * 1024);
  let last = getHeapStatistics().external_memory;
  const timer = setInterval(() => {
    const now = getHeapStatistics().external_memory;
    if (now > last) collector.received(now - last);
    last = now;
  }, LOOK_EVERY_MS);
  return () => clearInterval(timer);
}

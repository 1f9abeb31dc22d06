import { describe, expect, it } from 'vitest';
import { FINAL_EVENT_STATE, eventLine, isFinalLine, lineType, type JobEvent } from '../../src/protocol/job-events.ts';

const EVENTS: JobEvent[] = [
  { type: 'queued', position: 0, eta_ms: null, attempt: 0 },
  { type: 'started', attempt: 1, worker: 'w' },
  { type: 'progress', progress: 0.5 },
  { type: 'token', text: 'result"' },
  { type: 'partial', data: { type: 'result' } },
  { type: 'result', data: null, files: [] },
  { type: 'failed', code: 'worker_error', message: 'm' },
  { type: 'cancelled', reason: 'r' },
  { type: 'timed_out', message: 'm' },
];

describe('reading serialised events without parsing them', () => {
  it('tells the type and whether it is final exactly as the event says, whatever its fields contain', () => {
    for (const event of EVENTS) {
      const line = eventLine('job_1', 7, event);
      expect(lineType(line)).toBe(event.type);
      expect(isFinalLine(line)).toBe(event.type in FINAL_EVENT_STATE);
    }
  });
});

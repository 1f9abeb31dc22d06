import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout; LOG_LEVEL picks the level (silent in tests unless set). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'spaceport' } });
}

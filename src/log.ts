import { pino } from 'pino';

/**
 * Structured logs (JSON lines) on stderr, so stdout stays free for documents a command writes.
 * TIDEMARK_LOG_LEVEL sets the level (default "info"; tests use "silent" or "warn").
 */
export const logger = pino(
  { name: 'tidemark', level: process.env.TIDEMARK_LOG_LEVEL ?? 'info' },
  pino.destination({ fd: 2, sync: true }),
);

export type Logger = typeof logger;

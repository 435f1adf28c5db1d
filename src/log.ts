import { pino } from 'pino';

/**
 * Paths pino censors before anything is written: the bearer token, and anything that could hold a
 * key or secret. Tokens are never logged on purpose either; this is the second lock.
 */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["ocp-apim-subscription-key"]',
  'token',
  '*.token',
  'access_token',
  'assertion',
  'privateKey',
  '*.privateKey',
  'subscriptionKey',
];

export type AppLogger = pino.Logger;

export function createLogger(level = 'info', destination?: pino.DestinationStream): AppLogger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

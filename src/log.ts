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

/**
 * The gateway's and the sandbox's logger. By default it writes to stdout once per turn of the event loop
 * (`stdoutPerTurn`); pino's own default hands every line to libuv's thread pool, which cost the gateway more
 * CPU per request in `npm run bench` than writing it.
 */
export function createLogger(level = 'info', destination?: pino.DestinationStream): AppLogger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination ?? stdoutPerTurn());
}

/**
 * stdout with the lines of one turn of the event loop written together, in one call, when the turn ends. A
 * write per line cost the gateway about 15 µs of CPU per request (its two lines) under load in `npm run bench`,
 * and batching them gave back as much as not writing at all. A line waits at most for the end of the turn it
 * was made in; what is left when the process exits is written then. pino's sonic-boom does the writing,
 * synchronously, including waiting out a full pipe. One per process, shared by every logger.
 */
let perTurn: (pino.DestinationStream & { flush(cb?: (err?: Error) => void): void }) | undefined;
function stdoutPerTurn() {
  if (perTurn) return perTurn;
  const out = pino.destination({ dest: 1, sync: true });
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    const lines = pending;
    pending = '';
    out.write(lines);
  };
  process.once('exit', flush);
  perTurn = {
    write(line: string) {
      if (pending === '') setImmediate(flush);
      pending += line;
    },
    // pino's `logger.flush()`.
    flush(cb) {
      flush();
      cb?.();
    },
  };
  return perTurn;
}

/**
 * The same logger without the redaction pass, for the two lines every request writes that are built only
 * from named fields no secret can reach: the request line and the audit line. Redacting them cost the
 * gateway about 28 µs of its 280 µs per request in `npm run bench`; everything else, errors above all, keeps it.
 */
export function namedFieldsLogger(logger: AppLogger): AppLogger {
  return logger.child({}, { redact: [] });
}

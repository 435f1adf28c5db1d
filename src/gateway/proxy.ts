import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, RequestHandler } from 'express';
import { RETRY_LATER } from '../errors.js';
import { ProblemError } from '../problem.js';
import { MAX_BODY_BYTES, payloadTooLarge, requestBodyStalled } from './body-limit.js';
import { gatewayProblem } from './errors.js';
import { HOP_BY_HOP, NEVER_FROM_UPSTREAM } from './headers.js';

/** Default deadline for the upstream's response headers, from the start of the request, in milliseconds. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;
/** Default longest silence in the upstream's response body, in milliseconds. */
export const DEFAULT_UPSTREAM_BODY_IDLE_TIMEOUT_MS = 10_000;
/** Default deadline for the whole upstream exchange (headers and body), in milliseconds. */
export const DEFAULT_UPSTREAM_TOTAL_TIMEOUT_MS = 30_000;
/** Default longest silence in the client's request body, in milliseconds. */
export const DEFAULT_REQUEST_BODY_IDLE_TIMEOUT_MS = 10_000;

const IDENTITY_PREFIX = 'x-portvakt-';

/**
 * A header name as CGI, WSGI and PHP read it: `_` and `.` become `-`. `X-Portvakt_Party` and
 * `X-Portvakt.Party` both arrive at such an upstream as `HTTP_X_PORTVAKT_PARTY`, so every name is
 * judged by this form, never by its spelling.
 */
const canonical = (name: string) => name.toLowerCase().replace(/[_.]/g, '-');

/** Client headers about the path to the gateway: the gateway writes these itself (RFC 7239). */
const isForwardingHeader = (name: string) =>
  name === 'forwarded' ||
  name.startsWith('x-forwarded-') ||
  name === 'x-real-ip' ||
  name === 'x-client-ip' ||
  name === 'true-client-ip';

/**
 * Upstream response headers that reach the client only when the operation's `x-portvakt-response-headers`
 * names them: cookies and CORS would let one upstream widen what every client of the gateway trusts,
 * `X-Portvakt-*` would pass for the gateway's own word, and caching headers would let a shared cache
 * keep one party's data for another (the gateway's `Cache-Control: no-store` stands otherwise).
 */
const needsAllowing = (name: string) =>
  name === 'set-cookie' ||
  name === 'set-cookie2' ||
  name.startsWith('access-control-') ||
  name.startsWith(IDENTITY_PREFIX) ||
  name === 'cache-control' ||
  name === 'expires' ||
  name === 'pragma';

export interface ProxyOptions {
  /** `x-portvakt-upstream`: the request's path and query are appended to this URL's path. */
  upstream: string;
  /** Deadline for the upstream's response headers, from the start of the request, in ms. Default 10000. */
  headersTimeoutMs?: number;
  /** Longest the upstream's response body may send nothing, in ms; then the response is cut short. Default 10000. */
  bodyIdleTimeoutMs?: number;
  /** Deadline for the whole exchange, headers and body, in ms: 504 before the headers, cut short after. Default 30000. */
  totalTimeoutMs?: number;
  /** Longest the client's request body may send nothing, in ms. Default 10000. */
  requestBodyIdleTimeoutMs?: number;
  /** Largest request body forwarded, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Upstream response headers to let through that the gateway would otherwise drop (lower case). */
  allowResponseHeaders?: readonly string[];
}

export const upstreamUnavailable = (cause?: unknown) =>
  gatewayProblem('upstream_unavailable', 'The upstream service could not be reached.', {
    cause,
    headers: RETRY_LATER,
  });

export const upstreamTimeout = (timeoutMs: number) =>
  gatewayProblem('upstream_timeout', `The upstream service did not answer within ${timeoutMs} ms.`);

/** Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  return new Set(
    (value ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * What the upstream sees: the client's headers minus hop-by-hop ones, minus the client's token (the
 * upstream trusts the gateway, not the bearer; forwarding it would let the upstream replay it), minus
 * anything that reads as `X-Portvakt-*` or as a forwarding header once `_` and `.` are taken for `-`,
 * plus the identity the gateway established and the forwarding headers it wrote itself.
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  identity: Record<string, string>,
  requestId: string | undefined,
  forwarding: Record<string, string> = {},
): OutgoingHttpHeaders {
  const dropped = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    if (name === 'authorization' || name === 'host' || name === 'expect') continue;
    const seenAs = canonical(name);
    if (seenAs.startsWith(IDENTITY_PREFIX) || isForwardingHeader(seenAs) || seenAs === 'x-request-id') continue;
    out[name] = value;
  }
  if (requestId) out['x-request-id'] = requestId;
  return { ...out, ...forwarding, ...identity };
}

/**
 * The upstream's answer as the client gets it: hop-by-hop headers dropped, the gateway's security
 * headers and request id never replaced, and cookies, CORS, `X-Portvakt-*` and caching headers only
 * when `allowed` names them.
 */
export function clientResponseHeaders(
  incoming: IncomingHttpHeaders,
  allowed: ReadonlySet<string>,
): OutgoingHttpHeaders {
  const dropped = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || dropped.has(name)) continue;
    const seenAs = canonical(name);
    if (NEVER_FROM_UPSTREAM.has(name) || NEVER_FROM_UPSTREAM.has(seenAs)) continue;
    if (needsAllowing(seenAs) && !allowed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** An address as a Forwarded `node` (RFC 7239 §6): IPv6 bracketed and quoted; anything not an IP is `unknown`. */
function forwardedNode(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const family = isIP(plain);
  if (family === 4) return plain;
  if (family === 6) return `"[${plain}]"`;
  return 'unknown';
}

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * The forwarding headers the gateway sends upstream, from what it believes about the request: the
 * client's own `Forwarded`/`X-Forwarded-*` are believed only from hops the `trust proxy` setting
 * (TRUST_PROXY) trusts — Express reads `X-Forwarded-For`, `-Proto` and `-Host` from them — and
 * otherwise the connection's peer is the client. Values that are not an address, a host or http(s)
 * never reach the upstream as written.
 */
export function forwardingHeaders(req: Request): Record<string, string> {
  const peer = req.socket.remoteAddress ?? 'unknown';
  // req.ips: client → nearest trusted proxy, empty when the peer is not trusted.
  const chain = [...req.ips, peer].map(forwardedNode);
  const proto = /^https?$/i.test(req.protocol) ? req.protocol.toLowerCase() : 'http';
  const host = req.host !== undefined && HOST.test(req.host) ? req.host : undefined;
  const first = [`for=${chain[0]}`, ...(host ? [`host="${host}"`] : []), `proto=${proto}`].join(';');
  const headers: Record<string, string> = {
    forwarded: [first, ...chain.slice(1).map((node) => `for=${node}`)].join(', '),
    'x-forwarded-for': chain.map((node) => node.replace(/^"\[(.*)\]"$/, '$1')).join(', '),
    'x-forwarded-proto': proto,
  };
  if (host) headers['x-forwarded-host'] = host;
  return headers;
}

/** Passes the body through and fails once more than `max` bytes went by (a chunked body has no Content-Length). */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > max ? payloadTooLarge(max) : null, chunk);
    },
  });
}

export function upstreamUrl(upstream: string, originalUrl: string): URL {
  const base = new URL(upstream);
  const target = new URL(originalUrl, 'http://gateway.invalid');
  base.pathname = `${base.pathname.replace(/\/+$/, '')}${target.pathname}`;
  base.search = target.search;
  return base;
}

/** A timer that can be pushed back (an idle deadline) and is cleared with the others. */
function createTimers() {
  const all = new Set<NodeJS.Timeout>();
  return {
    start(ms: number, onFire: () => void) {
      const timer = setTimeout(onFire, ms);
      all.add(timer);
      return timer;
    },
    clear(timer: NodeJS.Timeout | undefined) {
      if (timer === undefined) return;
      clearTimeout(timer);
      all.delete(timer);
    },
    clearAll() {
      for (const timer of all) clearTimeout(timer);
      all.clear();
    },
  };
}

/**
 * Forwards an authorized request to the operation's upstream and streams the answer back (no
 * decompression, so bodies and Content-Encoding stay consistent) under the gateway's header policy.
 * Mount after `authorize`: `req.portvakt` provides the identity headers.
 *
 * Deadlines: no status line within `headersTimeoutMs` (or `totalTimeoutMs`) → 504 `upstream_timeout`;
 * connection refused/reset before an answer → 502 `upstream_unavailable`. Once the status line has been
 * passed on, a failure, a body silent for `bodyIdleTimeoutMs` or the end of `totalTimeoutMs` can only cut
 * the response short. A request body silent for `requestBodyIdleTimeoutMs` → 400 `request_invalid` (or a
 * cut, if the upstream already answered).
 */
export function createProxyHandler(options: ProxyOptions): RequestHandler {
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const bodyIdleTimeoutMs = options.bodyIdleTimeoutMs ?? DEFAULT_UPSTREAM_BODY_IDLE_TIMEOUT_MS;
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_UPSTREAM_TOTAL_TIMEOUT_MS;
  const requestBodyIdleTimeoutMs = options.requestBodyIdleTimeoutMs ?? DEFAULT_REQUEST_BODY_IDLE_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const allowed = new Set(options.allowResponseHeaders ?? []);
  return (req, res, next) => {
    // This route reads the body (the gateway set `Connection: close` for routes that do not).
    res.removeHeader('Connection');
    const context = req.portvakt!;
    const identity: Record<string, string> = {
      'x-portvakt-party': context.party,
      'x-portvakt-systemuser-id': context.systemUser.id,
      'x-portvakt-system-id': context.systemId,
    };
    if (context.consumerOrgNo) identity['x-portvakt-consumer-org'] = context.consumerOrgNo;
    const target = upstreamUrl(options.upstream, req.originalUrl);
    const headers = upstreamRequestHeaders(
      req.headers,
      identity,
      res.getHeader('x-request-id') as string | undefined,
      forwardingHeaders(req),
    );
    headers.via = [req.headers.via, `${req.httpVersion} portvakt`].filter(Boolean).join(', ');
    const client = target.protocol === 'https:' ? https : http;
    const upstreamReq = client.request(target, { method: req.method, headers });

    const timers = createTimers();
    /** The upstream's status line has been passed on: from here a failure can only cut the response short. */
    let answered = false;
    let over = false;
    const finish = () => {
      over = true;
      timers.clearAll();
    };
    const refuse = (err: ProblemError) => {
      if (over) return;
      if (answered || res.headersSent) return cut();
      finish();
      upstreamReq.destroy();
      // A body still arriving is not going anywhere now: close after the refusal rather than read on.
      if (!req.complete) closeAfterAnswer();
      next(err);
    };
    const closeAfterAnswer = () => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    };
    const cut = () => {
      if (over) return;
      finish();
      upstreamReq.destroy();
      res.destroy();
    };

    const headersTimer = timers.start(headersTimeoutMs, () => refuse(upstreamTimeout(headersTimeoutMs)));
    timers.start(totalTimeoutMs, () => refuse(upstreamTimeout(totalTimeoutMs)));
    res.once('close', () => {
      // The client went away: stop the upstream work it asked for.
      if (!res.writableFinished) upstreamReq.destroy();
      finish();
    });

    upstreamReq.once('response', (upstreamRes) => {
      if (over) return upstreamRes.resume();
      answered = true;
      timers.clear(headersTimer);
      // The upstream answered before the client's body was in: close after the answer rather than read on.
      if (!req.complete) closeAfterAnswer();
      res.status(upstreamRes.statusCode ?? 502);
      for (const [name, value] of Object.entries(clientResponseHeaders(upstreamRes.headers, allowed))) {
        if (value !== undefined) res.setHeader(name, value);
      }
      pipeline(upstreamRes, res).then(finish, cut);
      let idle = timers.start(bodyIdleTimeoutMs, cut);
      upstreamRes.on('data', () => {
        timers.clear(idle);
        if (!over) idle = timers.start(bodyIdleTimeoutMs, cut);
      });
    });
    upstreamReq.on('error', (err) => refuse(err instanceof ProblemError ? err : upstreamUnavailable(err)));

    // Not `pipeline`: on an oversized body it would destroy `req`, and with it the socket the 413 must go out on.
    const limiter = byteLimit(maxBodyBytes);
    req.pipe(limiter).pipe(upstreamReq);
    req.once('error', () => upstreamReq.destroy());

    // A body that stops arriving would otherwise hold the request until the upstream's deadlines.
    const stalled = () => refuse(requestBodyStalled(requestBodyIdleTimeoutMs));
    let bodyIdle = timers.start(requestBodyIdleTimeoutMs, stalled);
    req.on('data', () => {
      timers.clear(bodyIdle);
      if (!over) bodyIdle = timers.start(requestBodyIdleTimeoutMs, stalled);
    });
    req.once('end', () => timers.clear(bodyIdle));

    limiter.once('error', (err) => {
      req.unpipe(limiter);
      timers.clear(bodyIdle);
      // Drop what still comes, and close the connection after the answer rather than wait for more.
      req.resume();
      closeAfterAnswer();
      refuse(err instanceof ProblemError ? err : upstreamUnavailable(err));
    });
  };
}

import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RequestHandler } from 'express';
import { PortvaktError, RETRY_AFTER_SECONDS } from '../errors.js';
import { MAX_BODY_BYTES, payloadTooLarge } from './body-limit.js';

/** Default deadline for the upstream's response headers, in milliseconds. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;

/** RFC 9110 §7.6.1 connection-specific headers, plus the proxy ones: they describe one hop, never the next. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const IDENTITY_PREFIX = 'x-portvakt-';

export interface ProxyOptions {
  /** `x-portvakt-upstream`: the request's path and query are appended to this URL's path. */
  upstream: string;
  /** Deadline for the upstream's response headers, in milliseconds. Default 10000. */
  timeoutMs?: number;
  /** Largest request body forwarded, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

export const upstreamUnavailable = (cause?: unknown) =>
  new PortvaktError('upstream_unavailable', 'The upstream service could not be reached.', {
    cause,
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });

export const upstreamTimeout = (timeoutMs: number) =>
  new PortvaktError('upstream_timeout', `The upstream service did not answer within ${timeoutMs} ms.`);

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
 * upstream trusts the gateway, not the bearer; forwarding it would let the upstream replay it) and
 * minus any `X-Portvakt-*` the client made up, plus the identity the gateway established.
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  identity: Record<string, string>,
  requestId: string | undefined,
): OutgoingHttpHeaders {
  const dropped = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    if (name === 'authorization' || name === 'host' || name.startsWith(IDENTITY_PREFIX)) continue;
    out[name] = value;
  }
  if (requestId) out['x-request-id'] = requestId;
  return { ...out, ...identity };
}

/** The upstream's answer minus hop-by-hop headers; the gateway's own X-Request-Id is kept. */
function clientResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const dropped = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name) || name === 'x-request-id') continue;
    out[name] = value;
  }
  return out;
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

/**
 * Forwards an authorized request to the operation's upstream and streams the answer back unchanged
 * (no decompression, so bodies and Content-Encoding stay consistent). Mount after `authorize`:
 * `req.portvakt` provides the identity headers. No answer within `timeoutMs` → 504 `upstream_timeout`;
 * connection refused/reset before an answer → 502 `upstream_unavailable`. Once the upstream's status
 * line has been passed on, a failure can only cut the response short.
 */
export function createProxyHandler(options: ProxyOptions): RequestHandler {
  const timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  return (req, res, next) => {
    const context = req.portvakt!;
    const identity: Record<string, string> = {
      'x-portvakt-party': context.party,
      'x-portvakt-systemuser-id': context.systemUser.id,
      'x-portvakt-system-id': context.systemId,
    };
    if (context.consumerOrgNo) identity['x-portvakt-consumer-org'] = context.consumerOrgNo;
    const target = upstreamUrl(options.upstream, req.originalUrl);
    const headers = upstreamRequestHeaders(req.headers, identity, res.getHeader('x-request-id') as string | undefined);
    const client = target.protocol === 'https:' ? https : http;
    const upstreamReq = client.request(target, { method: req.method, headers });

    let settled = false;
    const fail = (err: PortvaktError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      upstreamReq.destroy();
      if (res.headersSent) res.destroy(err);
      else next(err);
    };
    const timer = setTimeout(() => fail(upstreamTimeout(timeoutMs)), timeoutMs);
    res.once('close', () => {
      // The client went away: stop the upstream work it asked for.
      if (!res.writableFinished) upstreamReq.destroy();
    });

    upstreamReq.once('response', (upstreamRes) => {
      if (settled) return upstreamRes.resume();
      settled = true;
      clearTimeout(timer);
      res.status(upstreamRes.statusCode ?? 502);
      for (const [name, value] of Object.entries(clientResponseHeaders(upstreamRes.headers))) {
        if (value !== undefined) res.setHeader(name, value);
      }
      pipeline(upstreamRes, res).catch(() => res.destroy());
    });
    upstreamReq.on('error', (err) => fail(err instanceof PortvaktError ? err : upstreamUnavailable(err)));

    // Not `pipeline`: on an oversized body it would destroy `req`, and with it the socket the 413 must go out on.
    const limiter = byteLimit(maxBodyBytes);
    limiter.once('error', (err) => {
      req.unpipe(limiter);
      if (res.headersSent) {
        // The upstream answered before the body was over the limit: cut both short.
        upstreamReq.destroy();
        res.destroy();
        return;
      }
      // Read and drop the rest, then close the connection rather than wait for more of it.
      req.resume();
      res.setHeader('Connection', 'close');
      fail(err instanceof PortvaktError ? err : upstreamUnavailable(err));
    });
    req.once('error', () => upstreamReq.destroy());
    req.pipe(limiter).pipe(upstreamReq);
  };
}

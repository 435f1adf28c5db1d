/**
 * The gateway's own response headers for a JSON API (no HTML but /docs): nothing may frame, sniff or
 * cache it. Set on every answer, local or proxied; an upstream can never replace them.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Strict-Transport-Security': 'max-age=31536000',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

/** RFC 9110 §7.6.1 connection-specific headers, plus the proxy ones: they describe one hop, never the next. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
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

/**
 * Headers no allow-list can hand to the upstream: the gateway's security headers always win, its request
 * id is its own, and hop-by-hop headers describe one connection.
 */
export const NEVER_FROM_UPSTREAM: ReadonlySet<string> = new Set([
  ...Object.keys(SECURITY_HEADERS).map((name) => name.toLowerCase()),
  'x-request-id',
  ...HOP_BY_HOP,
]);

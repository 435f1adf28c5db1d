import { readBoundedText } from '../bounded-body.js';
import { HTTP_PROTOCOLS, isUrl } from '../url.js';

/** Largest JWKS or issuer metadata document read: Maskinporten's are a few KiB; a larger one is refused. */
export const DEFAULT_JSON_MAX_BYTES = 512 * 1024;

/**
 * RFC 8414 discovery of the issuer's `jwks_uri`. The metadata's `issuer` must equal the configured
 * issuer exactly (§3.3), or an attacker-controlled document could point us at its own keys.
 */
export async function discoverJwksUri(issuer: string, fetchJson: (url: string) => Promise<unknown>): Promise<string> {
  const metadataUrl = new URL('.well-known/oauth-authorization-server', issuer).href;
  const metadata = await fetchJson(metadataUrl);
  if (typeof metadata !== 'object' || metadata === null) throw new Error('Issuer metadata is not a JSON object');
  const { issuer: advertised, jwks_uri: jwksUri } = metadata as { issuer?: unknown; jwks_uri?: unknown };
  if (advertised !== issuer) throw new Error(`Issuer metadata names issuer ${JSON.stringify(advertised)}`);
  if (typeof jwksUri !== 'string' || !isUrl(jwksUri, HTTP_PROTOCOLS))
    throw new Error('Issuer metadata has no valid jwks_uri');
  return jwksUri;
}

/**
 * GET a JSON document with a deadline covering the headers and the body, and a size cap (default 512 KiB);
 * redirects are refused so the key source cannot be moved.
 */
export function createJsonFetcher(options: { timeoutMs: number; maxBytes?: number; fetch?: typeof fetch }) {
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? DEFAULT_JSON_MAX_BYTES;
  return async (url: string): Promise<unknown> => {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const get = () => doFetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal });
    // A pooled keep-alive connection the server has just closed fails at once with ECONNRESET;
    // a GET is safe to send again, once, on a fresh connection.
    const res = await get().catch((err: unknown) => {
      if ((err as { cause?: { code?: unknown } })?.cause?.code === 'ECONNRESET' && !signal.aborted) return get();
      throw err;
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`GET ${url} answered HTTP ${res.status}`);
    }
    return JSON.parse(await readBoundedText(res, maxBytes)) as unknown;
  };
}

import { createPrivateKey, type KeyObject, randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { BodyTooLargeError, readBoundedText } from '../bounded-body.js';
import { isPortvaktError, pdpUnavailable } from '../errors.js';

export const PEP_SCOPE = 'altinn:authorization/authorize';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Maskinporten accepts assertions living at most 120 s; a minute is plenty for one POST. */
const ASSERTION_LIFETIME_SECONDS = 60;
/** Largest token or exchange answer read: a token is a few KiB; anything far larger is not one. */
const MAX_ANSWER_BYTES = 256 * 1024;
/** Renew this long before expiry (a ~30 min Altinn token is renewed after ~25 min), or at half-life if shorter. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** Stop using a token this close to its expiry (clock skew, time in transit), or its last quarter if shorter. */
const EXPIRY_MARGIN_MS = 30_000;
/** After a failed renewal ahead of time, wait this long before trying again in the background. */
const BACKGROUND_RETRY_MS = 5_000;

export interface PepCredentialsOptions {
  /** Maskinporten's token endpoint, e.g. `https://test.maskinporten.no/token`. */
  tokenEndpoint: string;
  /** Maskinporten's issuer identifier, the assertion's `aud`, e.g. `https://test.maskinporten.no/`. */
  audience: string;
  /** Altinn's token exchange, e.g. `https://platform.tt02.altinn.no/authentication/api/v1/exchange/maskinporten`. */
  exchangeUrl: string;
  /** The gateway's Maskinporten client id (`PEP_CLIENT_ID`), the assertion's `iss`. */
  clientId: string;
  /** The `kid` of the key registered on that client (`PEP_KEY_ID`). */
  keyId: string;
  /** The RSA private key (2048 bits or more) as PEM, PKCS#8 or PKCS#1. Reading it from a file is the caller's job. */
  privateKey: string;
  /** Scope asked of Maskinporten. Default `altinn:authorization/authorize`. */
  scope?: string;
  /** Deadline in milliseconds for one renewal: the grant and the exchange together. Default 5000. */
  timeoutMs?: number;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Wall clock in milliseconds since the epoch (for `iat` and token expiry). Default `Date.now`. */
  now?: () => number;
  /** Called after each renewal, for logs and metrics (a renewal ahead of time fails silently otherwise); must not throw. */
  onRenewal?: (outcome: 'ok' | 'error', error?: unknown) => void;
}

export interface PepCredentials {
  /** The gateway's current Altinn token; rejects with `pdp_unavailable` when none can be had. */
  token(): Promise<string>;
}

interface HeldToken {
  token: string;
  /** From here on a renewal is started in the background; the token is still handed out. */
  renewAt: number;
  /** From here on callers wait for a new token. */
  usableUntil: number;
}

/**
 * The PEP's own Altinn token: a JWT grant at Maskinporten, exchanged at Altinn, cached and
 * renewed well before it expires. One renewal is in flight at a time; a failed one is dropped so the next
 * call retries. Tokens are never logged, and never part of an error's detail.
 */
export function createPepCredentials(options: PepCredentialsOptions): PepCredentials {
  // Options arrive parsed (createPortvakt's schema); the private key is parsed here, where it is first used.
  const { audience, clientId, keyId, scope = PEP_SCOPE, timeoutMs = 5000, onRenewal } = options;
  const tokenEndpoint = new URL(options.tokenEndpoint);
  const exchangeUrl = new URL(options.exchangeUrl);
  const key = rsaPrivateKey(options.privateKey);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;

  let held: HeldToken | undefined;
  let renewal: Promise<string> | undefined;
  let backgroundQuietUntil = 0;

  async function send(url: URL, init: RequestInit, who: string, signal: AbortSignal): Promise<string> {
    let response: Response;
    try {
      // No redirects: they could carry the assertion or the Maskinporten token to another host.
      response = await fetchImpl(url, { ...init, redirect: 'manual', signal });
      if (response.ok) return await readBoundedText(response, MAX_ANSWER_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw pdpUnavailable(`${who}'s answer was too large.`, err);
      if (signal.aborted) throw pdpUnavailable(`${who} did not answer within ${timeoutMs} ms.`, err);
      throw pdpUnavailable(`${who} could not be reached.`, err);
    }
    const error = await oauthErrorCode(response);
    throw pdpUnavailable(`${who} answered HTTP ${response.status}${error ? ` (${error})` : ''}.`);
  }

  async function maskinportenToken(signal: AbortSignal): Promise<string> {
    const iat = Math.floor(now() / 1000);
    const assertion = await new SignJWT({ scope })
      .setProtectedHeader({ alg: 'RS256', kid: keyId })
      .setAudience(audience)
      .setIssuer(clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
      .setJti(randomUUID())
      .sign(key);
    const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const text = await send(tokenEndpoint, { method: 'POST', headers, body }, 'Maskinporten', signal);
    let accessToken: unknown;
    try {
      accessToken = (JSON.parse(text) as { access_token?: unknown } | null)?.access_token;
    } catch (err) {
      throw pdpUnavailable("Maskinporten's token answer was not JSON.", err);
    }
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw pdpUnavailable("Maskinporten's token answer has no access_token.");
    }
    return accessToken;
  }

  async function exchange(maskinportenToken: string, signal: AbortSignal): Promise<HeldToken> {
    const headers = { authorization: `Bearer ${maskinportenToken}`, accept: 'text/plain, application/json' };
    const text = await send(exchangeUrl, { method: 'GET', headers }, 'The Altinn token exchange', signal);
    return hold(unquote(text.trim()));
  }

  function hold(token: string): HeldToken {
    let exp: unknown;
    try {
      // Not verified: it is Altinn's token for Altinn; we only read when to renew it.
      exp = decodeJwt(token).exp;
    } catch (err) {
      throw pdpUnavailable('The Altinn token exchange did not answer with a JWT.', err);
    }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) {
      throw pdpUnavailable('The Altinn token exchange answered a token without an expiry.');
    }
    const expiresAt = exp * 1000;
    const life = expiresAt - now();
    if (life <= 0) throw pdpUnavailable('The Altinn token exchange answered an expired token; check the host clock.');
    return {
      token,
      renewAt: expiresAt - Math.min(RENEW_BEFORE_MS, life / 2),
      usableUntil: expiresAt - Math.min(EXPIRY_MARGIN_MS, life / 4),
    };
  }

  async function obtain(): Promise<HeldToken> {
    // One deadline for the whole renewal, response bodies included.
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return await exchange(await maskinportenToken(signal), signal);
    } catch (err) {
      if (isPortvaktError(err)) throw err;
      throw pdpUnavailable("The gateway's Maskinporten assertion could not be made.", err);
    }
  }

  function renew(): Promise<string> {
    renewal ??= obtain().then(
      (fresh) => {
        held = fresh;
        renewal = undefined;
        onRenewal?.('ok');
        return fresh.token;
      },
      (err: unknown) => {
        // Dropped, so the next call tries again rather than getting this failure forever.
        renewal = undefined;
        onRenewal?.('error', err);
        throw err;
      },
    );
    return renewal;
  }

  async function token(): Promise<string> {
    const at = now();
    if (held && at < held.renewAt) return held.token;
    if (held && at < held.usableUntil) {
      if (!renewal && at >= backgroundQuietUntil) {
        // Renewed ahead of time, so requests never wait for it; a failure here is reported through onRenewal
        // and retried after a pause, and the held token is served until it is too close to expiry.
        renew().catch(() => {
          backgroundQuietUntil = now() + BACKGROUND_RETRY_MS;
        });
      }
      return held.token;
    }
    return renew();
  }

  return { token };
}

/** The exchange answers the JWT as text, or as a JSON string (quoted). */
function unquote(body: string): string {
  if (!body.startsWith('"')) return body;
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'string') return value.trim();
  } catch {
    // Not JSON after all: reported below as not a JWT.
  }
  return body;
}

/** An RFC 6749 `error` code from an error answer, when it is one; never any other part of the body. */
async function oauthErrorCode(response: Response): Promise<string | undefined> {
  try {
    const body = JSON.parse(await readBoundedText(response, MAX_ANSWER_BYTES)) as { error?: unknown } | null;
    const error = body?.error;
    return typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : undefined;
  } catch {
    // An unreadable error answer: its status says enough.
    return undefined;
  }
}

/** Parsed once, so a bad key fails at start and not at the first request. */
function rsaPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    // The cause is the parser's message; the key itself is never part of an error.
    throw new TypeError('createPepCredentials: privateKey is not a readable PEM private key.', { cause: err });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048) {
    throw new TypeError('createPepCredentials: privateKey must be an RSA key of 2048 bits or more (RS256).');
  }
  return key;
}

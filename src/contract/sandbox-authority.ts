import { ALTINN_VENDOR_SCOPES } from '../sandbox/cast.js';
import { requestSandboxToken } from '../sandbox/token-command.js';
import { type Authority, DEMO_OTHER_PARTY, DEMO_PARTY, type TokenKind } from './authority.js';

export interface SandboxAuthorityOptions {
  /** The sandbox Maskinporten's issuer URL, e.g. `http://127.0.0.1:8081/`. */
  maskinportenUrl: string;
  /** The sandbox Altinn's origin, e.g. `http://127.0.0.1:8082`. */
  altinnUrl: string;
  party?: string | undefined;
  otherParty?: string | undefined;
}

const REQUEST_TIMEOUT_MS = 5000;

async function call(url: URL, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url.href}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

/**
 * Tokens from the sandbox's Maskinporten as SmartRegnskap gets them (a real JWT grant), and its
 * PDP's switch and call count. The sandbox's seed decides: Rør og Vann AS has a system user, 314055403 none.
 */
export function sandboxAuthority(options: SandboxAuthorityOptions): Authority {
  const maskinporten = options.maskinportenUrl.endsWith('/') ? options.maskinportenUrl : `${options.maskinportenUrl}/`;
  const party = options.party ?? DEMO_PARTY;
  const pdpControl = new URL('/sandbox/pdp', options.altinnUrl);
  const cache = new Map<string, Promise<string>>();
  const once = (key: string, make: () => Promise<string>) => {
    let token = cache.get(key);
    if (!token) {
      token = make();
      cache.set(key, token);
    }
    return token;
  };
  const grant = (scope: string, org?: string) =>
    once(`${scope} ${org ?? '-'}`, () => requestSandboxToken({ maskinporten, scope, ...(org ? { org } : {}) }));
  const reissue = (scope: string, change: string) =>
    once(`${scope} ${change}`, async () => {
      const answer = (await call(new URL('sandbox/reissue', maskinporten), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: await grant(scope, party), change }),
      })) as { access_token: string };
      return answer.access_token;
    });
  const tokens: Record<TokenKind, (scope: string) => Promise<string>> = {
    permitted: (scope) => grant(scope, party),
    // The vendor's client may ask for Altinn's own scopes but not this one: a real token without it.
    'no-scope': () => grant(ALTINN_VENDOR_SCOPES[1]!, party),
    'no-system-user': (scope) => grant(scope),
    expired: (scope) => reissue(scope, 'expired'),
    'other-issuer': (scope) => reissue(scope, 'other-issuer'),
  };
  return {
    name: `sandbox (Maskinporten ${maskinporten}, Altinn ${options.altinnUrl})`,
    party,
    otherParty: options.otherParty ?? DEMO_OTHER_PARTY,
    async prepare() {},
    token: (kind, op) => tokens[kind](op.scope),
    pdp: {
      async setDown(down) {
        await call(pdpControl, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ mode: down ? 'down' : 'up' }),
        });
      },
      async calls() {
        return ((await call(pdpControl)) as { calls: number }).calls;
      },
    },
  };
}

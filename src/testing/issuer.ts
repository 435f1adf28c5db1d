import type { IncomingMessage, ServerResponse } from 'node:http';
import { createForge, type TokenForge } from './forge.js';
import { type LocalServer, send, sendJson, startLocalServer } from './http.js';
import {
  compactRs256,
  mergeDeleting,
  type PublicJwk,
  type SigningKey,
  takeSigningKey,
  takeSigningKeyAsync,
} from './jws.js';
import { buildHeader, buildPayload, type TokenOptions, withDefaults } from './token.js';

/**
 * How the metadata or JWKS endpoint behaves:
 * - `'ok'`: answers normally;
 * - `'down'`: HTTP 503 (what a gateway in front of a dead Maskinporten gives);
 * - `'reset'`: destroys the connection without an answer;
 * - `'garbage'`: HTTP 200 `application/json` whose body is not JSON;
 * - `'slow'`: answers normally after `delayMs`;
 * - `'hang'`: never answers (the connection stays open until the client gives up or `close()`).
 */
export type EndpointMode = 'ok' | 'down' | 'reset' | 'garbage' | 'slow' | 'hang';

export interface EndpointModeOptions {
  /** Delay before a `'slow'` answer, in milliseconds. Default 1000. */
  delayMs?: number;
}

export interface TestIssuerOptions {
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  /** Defaults for every `token()` and forged token, under the per-call options (e.g. another `scope`). */
  tokenDefaults?: TokenOptions;
}

export interface RotateKeysOptions {
  /** Keep publishing the previous keys, as a real rotation does. Default true. */
  keepOld?: boolean;
}

/** An in-process Maskinporten: metadata, JWKS and synchronous token minting. */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>/`, trailing slash included, exactly the `iss` of its tokens. */
  readonly issuer: string;
  /** `http://127.0.0.1:<port>/jwks`. */
  readonly jwksUri: string;
  /** `http://127.0.0.1:<port>/.well-known/oauth-authorization-server` (RFC 8414). */
  readonly metadataUrl: string;
  /** The `kid` `token()` signs with now. */
  readonly kid: string;
  /** The JWKS as currently published (a copy). */
  readonly jwks: { keys: PublicJwk[] };
  /** JWKS GETs received, whatever the mode answered. */
  readonly jwksRequests: number;
  /** Metadata GETs received (both well-known paths), whatever the mode answered. */
  readonly metadataRequests: number;
  /** Tokens a resource server must refuse; see `TokenForge`. */
  readonly forge: TokenForge;
  /** A signed system-user token shaped like Maskinporten's. Synchronous, for `.set('Authorization', …)`. */
  token(options?: TokenOptions): string;
  /** Signs any payload with the current key; `header` is merged over `{ alg: 'RS256', kid, typ: 'JWT' }`. */
  signPayload(payload: Record<string, unknown>, header?: Record<string, unknown>): string;
  /** Makes a new signing key, publishes it at once and signs with it from now on. Returns the new `kid`. */
  rotateKeys(options?: RotateKeysOptions): string;
  setJwksMode(mode: EndpointMode, options?: EndpointModeOptions): void;
  setMetadataMode(mode: EndpointMode, options?: EndpointModeOptions): void;
  /** Merged over the metadata document (`undefined` deletes), e.g. `{ issuer: 'https://other/' }` for RFC 8414 §3.3. */
  setMetadata(overrides: Record<string, unknown>): void;
  /** Back to `'ok'` modes, no metadata overrides, counters at 0. Keys stay. */
  reset(): void;
  /** Stops the server and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

const DEFAULT_DELAY_MS = 1000;
const METADATA_PATHS = new Set(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);

interface EndpointState {
  mode: EndpointMode;
  delayMs: number;
  requests: number;
}

export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  let keys: SigningKey[] = [await takeSigningKeyAsync()];
  let foreign: SigningKey | undefined;
  let metadataOverrides: Record<string, unknown> = {};
  const jwksState: EndpointState = { mode: 'ok', delayMs: DEFAULT_DELAY_MS, requests: 0 };
  const metadataState: EndpointState = { mode: 'ok', delayMs: DEFAULT_DELAY_MS, requests: 0 };
  const defaults = options.tokenDefaults ?? {};
  const current = () => keys[keys.length - 1]!;

  const server: LocalServer = await startLocalServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/token') {
      // The sandbox serves the real grant; here tokens are minted in-process.
      return sendJson(res, 400, {
        error: 'unsupported_grant_type',
        error_description: 'the test issuer mints tokens in-process: call issuer.token()',
      });
    }
    const endpoint = path === '/jwks' ? jwksState : METADATA_PATHS.has(path) ? metadataState : undefined;
    if (!endpoint) return sendJson(res, 404, { error: 'not_found' });
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
    endpoint.requests += 1;
    const body = endpoint === jwksState ? { keys: keys.map((k) => ({ ...k.jwk })) } : metadata();
    serveWithMode(server, endpoint, req, res, body);
  }, options.port);

  const issuer = `${server.origin}/`;
  const jwksUri = `${server.origin}/jwks`;
  const metadata = () =>
    mergeDeleting(
      {
        issuer,
        token_endpoint: `${server.origin}/token`,
        jwks_uri: jwksUri,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        grant_types_supported: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512'],
        authorization_details_types_supported: ['urn:altinn:systemuser'],
      },
      metadataOverrides,
    );

  const parts = (tokenOptions?: TokenOptions) => {
    const merged = withDefaults(defaults, tokenOptions);
    return { header: buildHeader(current().kid, merged), payload: buildPayload(issuer, merged) };
  };

  return {
    issuer,
    jwksUri,
    metadataUrl: `${server.origin}/.well-known/oauth-authorization-server`,
    get kid() {
      return current().kid;
    },
    get jwks() {
      return { keys: keys.map((k) => ({ ...k.jwk })) };
    },
    get jwksRequests() {
      return jwksState.requests;
    },
    get metadataRequests() {
      return metadataState.requests;
    },
    forge: createForge({
      parts,
      currentKey: current,
      // Taken on first use: most tests never forge with a foreign key.
      foreignKey: () => {
        foreign ??= takeSigningKey();
        return foreign;
      },
    }),
    token(tokenOptions) {
      const { header, payload } = parts(tokenOptions);
      return compactRs256(header, payload, current().privateKey);
    },
    signPayload(payload, header) {
      return compactRs256(
        mergeDeleting({ alg: 'RS256', kid: current().kid, typ: 'JWT' }, header),
        payload,
        current().privateKey,
      );
    },
    rotateKeys(rotateOptions = {}) {
      const next = takeSigningKey();
      keys = rotateOptions.keepOld === false ? [next] : [...keys, next];
      return next.kid;
    },
    setJwksMode: (mode, modeOptions) => setMode(jwksState, mode, modeOptions),
    setMetadataMode: (mode, modeOptions) => setMode(metadataState, mode, modeOptions),
    setMetadata(overrides) {
      metadataOverrides = { ...overrides };
    },
    reset() {
      for (const state of [jwksState, metadataState]) {
        Object.assign(state, { mode: 'ok', delayMs: DEFAULT_DELAY_MS, requests: 0 });
      }
      metadataOverrides = {};
    },
    close: () => server.close(),
  };
}

function setMode(state: EndpointState, mode: EndpointMode, options: EndpointModeOptions = {}): void {
  state.mode = mode;
  state.delayMs = options.delayMs ?? DEFAULT_DELAY_MS;
}

function serveWithMode(
  server: LocalServer,
  state: EndpointState,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): void {
  // Snapshot the body now: a 'slow' answer shows the keys as they were when the request came in.
  const answer = () => sendJson(res, 200, body, { 'cache-control': 'public, max-age=60' });
  switch (state.mode) {
    case 'ok':
      answer();
      break;
    case 'down':
      send(res, 503, 'Service Unavailable', {
        'content-type': 'text/plain',
        'retry-after': '5',
        'cache-control': 'no-store',
      });
      break;
    case 'reset':
      req.socket.destroy();
      break;
    case 'garbage':
      send(res, 200, '<html>{"keys": [ this is not JSON', {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      break;
    case 'slow':
      server.later(state.delayMs, answer);
      break;
    case 'hang':
      break;
  }
}

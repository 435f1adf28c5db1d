import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { SCOPE, VENDOR } from './cast.js';
import { JWT_BEARER, SYSTEMUSER_TYPE } from './maskinporten.js';

export const DEFAULT_MASKINPORTEN_URL = 'http://127.0.0.1:8081/';
/** Where `portvakt token` finds the running sandbox's Maskinporten. */
export const MASKINPORTEN_URL_ENV = 'PORTVAKT_SANDBOX_MASKINPORTEN';
const REQUEST_TIMEOUT_MS = 5000;

class TokenCommandError extends Error {}

export interface SandboxTokenOptions {
  /** The sandbox Maskinporten's issuer URL, e.g. `http://127.0.0.1:8081/`. */
  maskinporten: string;
  /**
   * The organization that owns the system user (for an agent system user: the accounting firm). Without
   * it the grant asks for a plain client token (e.g. for Altinn's vendor APIs).
   */
  org?: string;
  /** Space-separated. Default `skatteetaten:kravogbetalinger`. */
  scope?: string;
  /** The system user request's `externalRef`, when the vendor set one. */
  externalRef?: string;
}

/**
 * What a vendor does, as SmartRegnskap (a fresh key per call, so nothing is ever written to disk): make a key, register its public half with the client (the
 * sandbox's stand-in for Maskinporten's self-service API), sign a JWT grant asking for the org's system
 * user, and trade it at the token endpoint. Resolves to the access token; rejects with Maskinporten's reason.
 */
export async function requestSandboxToken(options: SandboxTokenOptions): Promise<string> {
  const issuer = options.maskinporten.endsWith('/') ? options.maskinporten : `${options.maskinporten}/`;
  const metadata = (await call(new URL('.well-known/oauth-authorization-server', issuer), { method: 'GET' })) as {
    issuer?: string;
    token_endpoint?: string;
  };
  if (!metadata.token_endpoint || !metadata.issuer) throw new TokenCommandError(`${issuer}: no Maskinporten metadata`);

  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  await call(new URL(`clients/${encodeURIComponent(VENDOR.clientId)}/keys`, issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...jwk, kid, alg: 'RS256', use: 'sig' }),
  });

  const assertion = await new SignJWT({
    scope: options.scope ?? SCOPE,
    ...(options.org === undefined
      ? {}
      : {
          authorization_details: [
            {
              type: SYSTEMUSER_TYPE,
              systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${options.org}` },
              ...(options.externalRef ? { externalRef: options.externalRef } : {}),
            },
          ],
        }),
  })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(VENDOR.clientId)
    .setAudience(metadata.issuer)
    .setIssuedAt()
    .setExpirationTime('100s')
    .setJti(randomUUID())
    .sign(privateKey);

  const answer = (await call(new URL(metadata.token_endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
  })) as { access_token?: string };
  if (typeof answer.access_token !== 'string') throw new TokenCommandError('Maskinporten answered without a token');
  return answer.access_token;
}

async function call(url: URL, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch {
    throw new TokenCommandError(
      `no sandbox Maskinporten at ${url.origin} — start it with \`npm start\` (or set ${MASKINPORTEN_URL_ENV})`,
    );
  }
  const text = await res.text();
  let body: { error?: string; error_description?: string } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {}
  if (!res.ok) {
    const reason = body?.error ? `${body.error}: ${body.error_description ?? ''}` : `HTTP ${res.status}`;
    throw new TokenCommandError(`Maskinporten refused: ${reason}`);
  }
  return body;
}

/**
 * `portvakt token --org <orgno> [--scope …]`: the access token alone on stdout, so
 * `TOKEN=$(npx portvakt token --org 310478717)` works; a refusal goes to stderr with exit code 1.
 */
export async function tokenCommand(values: { org?: string | undefined; scope?: string | undefined }): Promise<void> {
  const fail = (message: string) => {
    process.stderr.write(`portvakt token: ${message}\n`);
    process.exitCode = 1;
  };
  if (!values.org || !/^\d{9}$/.test(values.org)) {
    return fail('--org <orgno> is required (9 digits), e.g. --org 310478717');
  }
  try {
    const token = await requestSandboxToken({
      maskinporten: process.env[MASKINPORTEN_URL_ENV] ?? DEFAULT_MASKINPORTEN_URL,
      org: values.org,
      ...(values.scope ? { scope: values.scope } : {}),
    });
    process.stdout.write(`${token}\n`);
  } catch (err) {
    if (!(err instanceof TokenCommandError)) throw err;
    fail(err.message);
  }
}

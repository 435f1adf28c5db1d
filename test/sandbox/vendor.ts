import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { requestSandboxToken, type Signer } from '../../src/sandbox/token-command.js';
import type { SandboxProcess } from './process.js';

export const AUTH = '/authentication/api/v1';
export const GATEWAY_API = '/api/innkreving/kravogbetalinger/v1';
export const SCOPES = {
  registerWrite: 'altinn:authentication/systemregister.write',
  requestRead: 'altinn:authentication/systemuser.request.read',
  requestWrite: 'altinn:authentication/systemuser.request.write',
  dcrWrite: 'idporten:dcr.write',
  api: 'skatteetaten:kravogbetalinger',
};
export const ALL_VENDOR_SCOPES = `${SCOPES.registerWrite} ${SCOPES.requestRead} ${SCOPES.requestWrite}`;
export const KRAV_RIGHT = { resource: [{ id: 'urn:altinn:resource', value: 'ske-krav-og-betalinger' }] };

/** Where browser screenshots go: the test output, never the repository. */
export function screenshotDir(): string {
  const dir = join(process.env.TEST_OUTPUT_DIR ?? join(tmpdir(), 'portvakt-test-output'), 'sandbox');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A vendor's HTTP calls against a running sandbox, written as a vendor writes them from Altinn's docs. */
export function vendorClient(sandbox: SandboxProcess) {
  const token = (options: { org?: string; scope?: string; externalRef?: string; signer?: Signer } = {}) =>
    requestSandboxToken({ maskinporten: sandbox.maskinportenUrl, ...options });

  /** Maskinporten token → Altinn token, as `GET /exchange/maskinporten`. */
  async function altinnToken(scope = ALL_VENDOR_SCOPES, signer?: Signer): Promise<string> {
    const mp = await token({ scope, ...(signer ? { signer } : {}) });
    const res = await fetch(`${sandbox.altinnUrl}${AUTH}/exchange/maskinporten`, {
      headers: { authorization: `Bearer ${mp}` },
    });
    if (res.status !== 200) throw new Error(`exchange: ${res.status}`);
    return res.text();
  }

  /** A call to Altinn's API with a bearer token and (optionally) a JSON body. */
  async function altinn(method: string, path: string, bearer?: string, body?: unknown) {
    const res = await fetch(`${sandbox.altinnUrl}${path.startsWith('/') ? path : `${AUTH}/${path}`}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, asserted field by field in the tests
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, json };
  }

  const gateway = (bearer: string, party: string) =>
    fetch(`${sandbox.gatewayUrl}${GATEWAY_API}/${party}/aapnekrav`, { headers: { authorization: `Bearer ${bearer}` } });

  /** A new key pair, as the vendor's script makes one for its new client. */
  async function keyPair(kid: string) {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  }

  /**
   * Digdir's self-service onboarding: an admin token (idporten:dcr.write), `POST /clients`, then
   * `POST /clients/{id}/jwks`. Resolves to a signer for the new client.
   */
  async function onboardClient(name: string, scopes: string[]): Promise<Signer> {
    const admin = await token({ scope: SCOPES.dcrWrite });
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const created = await fetch(`${sandbox.maskinportenUrl}clients`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        client_name: name,
        description: `${name} (onboarding script)`,
        integration_type: 'maskinporten',
        application_type: 'web',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
        scopes,
      }),
    });
    if (created.status !== 201) throw new Error(`POST /clients: ${created.status} ${await created.text()}`);
    const { client_id: clientId } = (await created.json()) as { client_id: string };
    const key = await keyPair(`${name}-1`);
    const jwks = await fetch(`${sandbox.maskinportenUrl}clients/${clientId}/jwks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ keys: [key.publicJwk] }),
    });
    if (jwks.status !== 201) throw new Error(`POST /clients/{id}/jwks: ${jwks.status} ${await jwks.text()}`);
    return { clientId, kid: key.kid, privateKey: key.privateKey as Signer['privateKey'] };
  }

  return { token, altinnToken, altinn, gateway, keyPair, onboardClient };
}

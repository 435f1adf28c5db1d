import { describe, expect, it } from 'vitest';
import { expectProblem } from '../helpers/library-world.js';
import { API, RORVANN, useGatewayWorld } from './world.js';

/**
 * RFC 6750 §3: every refusal of the token carries a `WWW-Authenticate: Bearer` challenge. A token without
 * (or with a malformed) system user is a valid token without the privilege the resource needs: 403 with
 * `error="insufficient_scope"` (§3.1), and no `scope` attribute, since the scope is not what is missing.
 */
const world = useGatewayWorld();
const path = `${API}/${RORVANN}/aapnekrav`;

describe('challenges on every refusal of the token', () => {
  it.each([
    ['no system user at all', undefined],
    ['a system user of another type', [{ type: 'urn:altinn:other' }]],
    ['a malformed system user', [{ type: 'urn:altinn:systemuser', systemuser_id: ['not-a-uuid'] }]],
  ])('%s → 403 systemuser_missing with Bearer error="insufficient_scope"', async (_name, details) => {
    const res = await world().get(path, world().issuer.token({ authorizationDetails: details }));
    expectProblem(res, 403, 'systemuser_missing');
    const challenge = String(res.headers['www-authenticate']);
    expect(challenge).toMatch(/^Bearer error="insufficient_scope", error_description="[^"\\]+"$/);
    expect(challenge).not.toMatch(/scope="/);
  });

  it.each([
    ['no token', undefined, 401, /^Bearer$/],
    ['an invalid token', 'x.y.z', 401, /^Bearer error="invalid_token"$/],
  ])('%s → 401 with its challenge, as before', async (_name, token, status, challenge) => {
    const res = await world().get(path, token);
    expect(res.status).toBe(status);
    expect(String(res.headers['www-authenticate'])).toMatch(challenge);
  });

  it('a missing scope → 403 insufficient_scope naming the scope', async () => {
    const res = await world().get(path, world().issuer.token({ scope: 'annet:scope' }));
    expectProblem(res, 403, 'insufficient_scope');
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="skatteetaten:kravogbetalinger"',
    );
  });
});

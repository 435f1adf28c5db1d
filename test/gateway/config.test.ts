import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/gateway/config.js';

const BASE = { MASKINPORTEN_ISSUER: 'https://test.maskinporten.no/', ALTINN_PDP_URL: 'https://pdp.example/authorize' };

describe('portvakt serve configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig(BASE)).toMatchObject({
      portvakt: {
        issuer: 'https://test.maskinporten.no/',
        jwksUri: undefined,
        audience: undefined,
        decisionCache: { ttlSeconds: 30, max: 100_000 },
        pdpTimeoutMs: 2000,
        pepCredentials: undefined,
      },
      port: 8080,
      claimsDatabaseUrl: undefined,
      logLevel: 'info',
    });
  });

  it.each([
    [{ ALTINN_PDP_URL: BASE.ALTINN_PDP_URL }, 'MASKINPORTEN_ISSUER'],
    [{ MASKINPORTEN_ISSUER: BASE.MASKINPORTEN_ISSUER }, 'ALTINN_PDP_URL'],
    [{ ...BASE, MASKINPORTEN_ISSUER: 'not a url' }, 'MASKINPORTEN_ISSUER'],
    [{ ...BASE, PORT: 'eighty' }, 'PORT'],
    [{ ...BASE, DECISION_CACHE_TTL_SECONDS: '0' }, 'DECISION_CACHE_TTL_SECONDS'],
    [{ ...BASE, DECISION_CACHE_MAX: '-5' }, 'DECISION_CACHE_MAX'],
    [{ ...BASE, PDP_TIMEOUT_MS: '1.5' }, 'PDP_TIMEOUT_MS'],
    [{ ...BASE, CLAIMS_DATABASE_URL: 'mysql://x' }, 'CLAIMS_DATABASE_URL'],
    [{ ...BASE, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...BASE, PEP_CLIENT_ID: 'abc' }, 'ALTINN_TOKEN_EXCHANGE_URL'],
    [
      {
        ...BASE,
        ALTINN_TOKEN_EXCHANGE_URL: 'https://x.example/exchange',
        PEP_CLIENT_ID: 'abc',
        PEP_KEY_ID: 'k',
        PEP_PRIVATE_KEY: '-----BEGIN PUBLIC KEY-----\\nabc',
      },
      'PEP_PRIVATE_KEY',
    ],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${name}:`));
  });

  it('exits non-zero with one clear line naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: { PATH: process.env.PATH, ALTINN_PDP_URL: BASE.ALTINN_PDP_URL },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('MASKINPORTEN_ISSUER');
  });
});

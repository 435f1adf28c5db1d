import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/gateway/config.js';
import { createPortvakt } from '../../src/portvakt.js';

const BASE = { MASKINPORTEN_ISSUER: 'https://test.maskinporten.no/', ALTINN_PDP_URL: 'https://pdp.example/authorize' };

describe('DECISION_CACHE_REDIS_URL', () => {
  it('is unset by default: no shared level', () => {
    expect(loadConfig(BASE).portvakt.decisionCache.redisUrl).toBeUndefined();
    expect(loadConfig({ ...BASE, DECISION_CACHE_REDIS_URL: ' ' }).portvakt.decisionCache.redisUrl).toBeUndefined();
  });

  it.each(['redis://cache:6379', 'rediss://:secret@cache.example:6380/2'])('accepts %s', (url) => {
    expect(loadConfig({ ...BASE, DECISION_CACHE_REDIS_URL: url }).portvakt.decisionCache.redisUrl).toBe(url);
  });

  it.each(['cache:6379', 'http://cache:6379', 'redis//cache'])('refuses %s in one line naming the variable', (url) => {
    let error: unknown;
    try {
      loadConfig({ ...BASE, DECISION_CACHE_REDIS_URL: url });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^DECISION_CACHE_REDIS_URL: [^\n]+$/);
  });
});

describe('decisionCache.redisUrl', () => {
  it.each([
    [{ redisUrl: 'http://cache:6379' }, 'decisionCache.redisUrl'],
    [{ redisUrl: 6379 }, 'decisionCache.redisUrl'],
    [{ redisUrl: 'redis://cache', redisTimeoutMs: 0 }, 'decisionCache.redisTimeoutMs'],
  ])('refuses %j at construction, naming the option', (decisionCache, option) => {
    expect(() =>
      createPortvakt({
        issuer: BASE.MASKINPORTEN_ISSUER,
        pdpUrl: BASE.ALTINN_PDP_URL,
        decisionCache: decisionCache as never,
      }),
    ).toThrow(new RegExp(`"${option.replace('.', '\\.')}"`));
  });
});

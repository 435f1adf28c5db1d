import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/gateway/config.js';
import { type RunningGateway, startGateway } from '../../src/gateway/server.js';
import {
  createTestIssuer,
  createTestPdp,
  systemUserIdFor,
  type TestIssuer,
  type TestPdp,
  testEnv,
} from '../../src/testing/index.js';
import { captureLogs, RESOURCE, sharedClaimsStore } from '../helpers/gateway-world.js';
import { HAS_REDIS_SERVER, type RedisServer, startRedisServer } from '../pdp/redis-server.js';

const RORVANN = '310478717';
const PATH = `/api/innkreving/kravogbetalinger/v1/${RORVANN}/aapnekrav`;
/**
 * Long enough that the few requests a test sends inside one TTL finish inside it on a busy machine too
 * (Redis expires the entries on its own clock, so no fake clock can stand in), short enough to wait out.
 */
const TTL_SECONDS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two replicas of `portvakt serve` (as `startGateway`) behind one Redis, one issuer and one PDP. */
describe.skipIf(!HAS_REDIS_SERVER)('two gateways sharing a Redis decision cache', () => {
  let redis: RedisServer;
  let issuer: TestIssuer;
  let pdp: TestPdp;
  const replicas: { gateway: RunningGateway; logs: ReturnType<typeof captureLogs> }[] = [];

  beforeAll(async () => {
    [redis, issuer, pdp] = await Promise.all([startRedisServer(), createTestIssuer(), createTestPdp()]);
    const env = {
      ...testEnv(issuer, pdp),
      PORT: '0',
      DECISION_CACHE_TTL_SECONDS: String(TTL_SECONDS),
      DECISION_CACHE_REDIS_URL: redis.url,
    };
    for (let i = 0; i < 2; i++) {
      const logs = captureLogs();
      const gateway = await startGateway(loadConfig(env), {
        host: '127.0.0.1',
        logger: logs.logger,
        store: await sharedClaimsStore(),
      });
      await gateway.portvakt.loadKeys();
      replicas.push({ gateway, logs });
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map(({ gateway }) => gateway.close()));
    await Promise.all([redis?.close(), issuer?.close(), pdp?.close()]);
  });
  beforeEach(() => pdp.reset());

  /** A token for its own system user (so each test has its own cache keys), permitted for Rør og Vann. */
  function grant(name: string) {
    const systemUser = systemUserIdFor(name);
    pdp.permit(systemUser, RESOURCE, RORVANN);
    return { systemUser, token: issuer.token({ systemUser }) };
  }
  async function status(replica: number, token: string): Promise<number> {
    const res = await fetch(`${replicas[replica]!.gateway.url}${PATH}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await res.arrayBuffer();
    return res.status;
  }
  const audits = (replica: number, systemUser: string) =>
    replicas[replica]!.logs.lines.map((line) => JSON.parse(line))
      .filter((line) => line.audit?.systemUser === systemUser)
      .map((line) => line.audit as { decision: string; cached: boolean });

  it('asks the PDP once per key per TTL, whichever replica is asked', async () => {
    const { systemUser, token } = grant('shared');
    expect([await status(0, token), await status(1, token), await status(0, token), await status(1, token)]).toEqual([
      200, 200, 200, 200,
    ]);
    expect(pdp.calls).toHaveLength(1);
    expect(audits(0, systemUser).map((a) => a.cached)).toEqual([false, true]);
    // Replica 1 never asked the PDP: its first answer came from Redis, and counts as cached.
    expect(audits(1, systemUser).map((a) => a.cached)).toEqual([true, true]);

    await sleep(TTL_SECONDS * 1000 + 100);
    expect([await status(1, token), await status(0, token)]).toEqual([200, 200]);
    expect(pdp.calls).toHaveLength(2);
  });

  it('takes access away from every replica within the TTL after a revocation', async () => {
    const { systemUser, token } = grant('revoked');
    expect(await status(0, token)).toBe(200);
    pdp.revoke(systemUser);
    // Within the TTL the Permit may still be reused, by any replica.
    expect(await status(1, token)).toBe(200);
    await sleep(TTL_SECONDS * 1000 + 100);
    expect([await status(1, token), await status(0, token)]).toEqual([403, 403]);
    expect(pdp.calls).toHaveLength(2);
  });

  // Last: Redis stays down.
  it('keeps answering when Redis is killed: PDP and local cache, one warning per replica', async () => {
    const { token } = grant('outage');
    expect(await status(0, token)).toBe(200);
    await redis.kill();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push(await status(0, token), await status(1, token));
    const { token: other } = grant('outage-cold');
    for (let i = 0; i < 3; i++) statuses.push(await status(1, other), await status(0, other));
    expect(statuses).toEqual(Array(12).fill(200));
    await sleep(300);
    for (const { logs } of replicas) {
      // One warning per outage, not per failed command. On a busy machine an earlier test's command may
      // have timed out (an outage of its own, with its own warning): count from the last recovery on.
      const lastRecovery = logs.lines.findLastIndex((line) => line.includes('Redis available again'));
      const warnings = logs.lines.slice(lastRecovery + 1).filter((line) => line.includes('Redis unavailable'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).not.toContain(redis.url);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { API, BOUND_MS, expect4xxProblem, RORVANN, sendRaw, useGatewayWorld } from './world.js';

/** Period parameters in every wrong shape, through the gateway: 400 period_invalid, before any PDP call. */
const world = useGatewayWorld();

const QUERIES = [
  '', // missing both
  'fraOgMed=2026-01-01', // missing one
  'tilOgMed=2026-01-01',
  'fraOgMed=&tilOgMed=',
  'fraOgMed=2026-02-29&tilOgMed=2026-03-01', // not a leap year
  'fraOgMed=2026-01-01&tilOgMed=2026-02-29',
  'fraOgMed=2026-04-31&tilOgMed=2026-05-01',
  'fraOgMed=2026-13-01&tilOgMed=2026-12-31',
  'fraOgMed=2026-00-01&tilOgMed=2026-12-31',
  'fraOgMed=2026-06-01&tilOgMed=2026-05-31', // reversed
  'fraOgMed=2025-01-01&tilOgMed=2026-01-01', // a whole year
  'fraOgMed=0001-01-01&tilOgMed=9999-12-31',
  'fraOgMed=2024-02-29&tilOgMed=2025-02-28',
  'fraOgMed[]=2026-01-01&tilOgMed=2026-02-01', // arrays, however spelled
  'fraOgMed[0]=2026-01-01&tilOgMed=2026-02-01',
  'fraOgMed[a]=2026-01-01&tilOgMed=2026-02-01',
  'fraOgMed=2026-01-01&fraOgMed=2026-01-02&tilOgMed=2026-02-01',
  'fraOgMed=2026-01-01,2026-01-02&tilOgMed=2026-02-01',
  `fraOgMed=${'2'.repeat(8000)}&tilOgMed=2026-02-01`, // huge
  'fraOgMed=99999999999999999999-01-01&tilOgMed=2026-02-01',
  'fraOgMed=+2026-01-01&tilOgMed=2026-02-01',
  'fraOgMed=-2026-01-01&tilOgMed=2026-02-01',
  'fraOgMed=2026-01-01T00:00:00Z&tilOgMed=2026-02-01',
  'fraOgMed=1767225600&tilOgMed=2026-02-01', // epoch seconds
  'fraOgMed=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-01-01&tilOgMed=2026-02-01', // fullwidth digits
  'fraOgMed=%D9%A2%D9%A0%D9%A2%D9%A6-01-01&tilOgMed=2026-02-01', // Arabic-Indic digits
  'fraOgMed=2026%2D01%2D01&tilOgMed=2026-02-01%00',
  'fraOgMed=2026-01-01%0d%0a&tilOgMed=2026-02-01',
  'fraOgMed=%c0%b2026-01-01&tilOgMed=2026-02-01', // overlong UTF-8
  'fraOgMed=%&tilOgMed=%zz',
  'fraOgMed=null&tilOgMed=undefined',
  'FRAOGMED=2026-01-01&TILOGMED=2026-02-01', // names are case-sensitive
  '__proto__[fraOgMed]=2026-01-01&constructor[prototype][tilOgMed]=2026-02-01',
];

describe('period query', () => {
  it.each(QUERIES.map((q) => [q.length > 80 ? `${q.slice(0, 60)}… (${q.length} chars)` : q || '(none)', q]))(
    '%s',
    async (_name, query) => {
      const token = world().issuer.token();
      for (const op of ['krav', 'innbetalinger']) {
        const target = `${API}/${RORVANN}/${op}${query ? `?${query}` : ''}`;
        const res = await sendRaw(world(), 'GET', target, [`Authorization: Bearer ${token}`]);
        expect(res.byGateway).toBe(true);
        expect4xxProblem(res, query);
        expect((res.body as { code: string }).code).toMatch(/^(period_invalid|request_invalid)$/);
      }
      expect(world().pdp.calls).toHaveLength(0);
    },
  );

  it('a query string past Node’s header limit is refused by the server itself', async () => {
    const res = await sendRaw(world(), 'GET', `${API}/${RORVANN}/krav?fraOgMed=${'1'.repeat(20_000)}`, []);
    expect(res.status).toBe(431);
  });

  it('a good period still works, and repeated unrelated parameters are ignored', async () => {
    const res = await world()
      .get(`${API}/${RORVANN}/krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31&x=1&x=2&y[]=3`, world().issuer.token())
      .timeout(BOUND_MS);
    expect(res.status).toBe(200);
  });
});

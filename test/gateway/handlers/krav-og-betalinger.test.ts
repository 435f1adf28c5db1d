import { describe, expect, it } from 'vitest';
import type { ClaimsStore } from '../../../src/claims/store.js';
import type { Periode } from '../../../src/claims/types.js';
import { kravOgBetalingerHandlers } from '../../../src/gateway/handlers/krav-og-betalinger.js';

/** A store that records what it was asked. */
function recordingStore() {
  const calls: Array<[string, string, Periode?]> = [];
  const store: ClaimsStore = {
    aapneKrav: async (party) => {
      calls.push(['aapneKrav', party]);
      return {
        partIdentifikator: party,
        aapentKravMedGjenstaaendeBeloep: [],
        innbetalingMedUplassertBeloep: [],
        totalOversikt: {
          sumForfalteKrav: 0,
          sumIkkeForfalteKrav: 0,
          sumStipulerteRenter: 0,
          sumUplasserteInnbetalinger: 0,
          saldo: 0,
        },
        oversiktPerKravgruppe: [],
      };
    },
    krav: async (party, periode) => {
      calls.push(['krav', party, periode]);
      return { partIdentifikator: party, krav: [] };
    },
    innbetalinger: async (party, periode) => {
      calls.push(['innbetalinger', party, periode]);
      return { partIdentifikator: party, innbetalinger: [] };
    },
    ping: async () => {},
    close: async () => {},
  };
  return { store, calls };
}

const PERIOD = { fraOgMed: '2026-01-01', tilOgMed: '2026-12-31' };

describe('kravOgBetalingerHandlers', () => {
  it('has a handler for each operationId of Krav og betalinger', () => {
    expect(Object.keys(kravOgBetalingerHandlers).sort()).toEqual(['hentAapneKrav', 'hentInnbetalinger', 'hentKrav']);
  });

  it('hentAapneKrav takes no query and asks the store for the party', async () => {
    const { store, calls } = recordingStore();
    const handler = kravOgBetalingerHandlers.hentAapneKrav!;
    expect(handler.validate).toBeUndefined();
    const body = await handler.handle({ party: '310478717', query: {}, store });
    expect(body).toMatchObject({ partIdentifikator: '310478717' });
    expect(calls).toEqual([['aapneKrav', '310478717']]);
  });

  for (const [operationId, method] of [
    ['hentKrav', 'krav'],
    ['hentInnbetalinger', 'innbetalinger'],
  ] as const) {
    it(`${operationId} validates the period and passes it to the store`, async () => {
      const { store, calls } = recordingStore();
      const handler = kravOgBetalingerHandlers[operationId]!;
      expect(() => handler.validate?.(PERIOD)).not.toThrow();
      expect(() => handler.validate?.({ fraOgMed: '2026-02-29', tilOgMed: '2026-03-01' })).toThrow(
        expect.objectContaining({ code: 'period_invalid', status: 400 }),
      );
      await handler.handle({ party: '313367002', query: { ...PERIOD, extra: 'x' }, store });
      expect(calls).toEqual([[method, '313367002', PERIOD]]);
    });

    it(`${operationId} refuses a bad period even when validate was not run`, async () => {
      const { store, calls } = recordingStore();
      await expect(
        kravOgBetalingerHandlers[operationId]!.handle({ party: '313367002', query: {}, store }),
      ).rejects.toMatchObject({ code: 'period_invalid' });
      expect(calls).toEqual([]);
    });
  }
});

import { parsePeriod } from '../period.js';
import type { ResourceHandler } from './types.js';

/**
 * Krav og betalinger, served from the claims store. Keys are the operationIds in openapi.yaml; the
 * scope, Altinn resource and action come from there too. `handle` parses the period again rather
 * than trusting that `validate` ran, so a handler is safe on its own.
 */
export const kravOgBetalingerHandlers: Record<string, ResourceHandler> = {
  hentAapneKrav: {
    handle: async ({ party, store }) => store.aapneKrav(party),
  },
  hentKrav: {
    validate: (query) => {
      parsePeriod(query);
    },
    handle: async ({ party, query, store }) => store.krav(party, parsePeriod(query)),
  },
  hentInnbetalinger: {
    validate: (query) => {
      parsePeriod(query);
    },
    handle: async ({ party, query, store }) => store.innbetalinger(party, parsePeriod(query)),
  },
};

/**
 * Portvakt asking a slow PDP about many distinct (system user, party) pairs, each asked by several
 * connections at once. Counts the distinct pairs it permitted, to compare with the PDP's call count.
 */
import { createLibraryApp } from '../lib/library-app.js';
import { serveScenario } from '../lib/server.js';

const seen = new Set<string>();
const { app } = createLibraryApp((context) => seen.add(`${context.systemUser.id} ${context.party}`));
await serveScenario(app, {
  stats: () => ({ distinctPermitted: seen.size }),
  reset: () => {
    seen.clear();
    return true;
  },
});

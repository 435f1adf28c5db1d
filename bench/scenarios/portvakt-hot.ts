/**
 * Portvakt's hot path: one token, a cached Permit. Also fills both caches on request (`fill`) to weigh
 * them: the token cache with distinct tokens, the decision cache with distinct parties.
 */
import { readFileSync } from 'node:fs';
import { createLibraryApp } from '../lib/library-app.js';
import { serveScenario } from '../lib/server.js';
import { KRAV, memoryAfterGc } from '../lib/shared.js';

const { app, portvakt } = createLibraryApp();

/** Authorizes `count` requests through the framework-free pipeline, `concurrency` at a time. */
async function authorizeMany(count: number, at: (i: number) => { token: string; party: string }) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const { token, party } = at(next++);
      await portvakt.authorizeRequest({ authorization: `Bearer ${token}`, party }, KRAV);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}

interface Fill {
  tokensFile: string;
  tokenParty: string;
  partiesFile: string;
  decisionToken: string;
}

await serveScenario(app, {
  memory: () => memoryAfterGc(),
  fill: async (payload) => {
    const { tokensFile, tokenParty, partiesFile, decisionToken } = payload as Fill;
    const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as string[];
    const parties = JSON.parse(readFileSync(partiesFile, 'utf8')) as string[];
    const before = memoryAfterGc();
    // A token is remembered at its second use: each is presented twice.
    await authorizeMany(2 * tokens.length, (i) => ({ token: tokens[i >> 1]!, party: tokenParty }));
    const afterTokens = memoryAfterGc();
    const started = performance.now();
    await authorizeMany(parties.length, (i) => ({ token: decisionToken, party: parties[i]! }));
    const fillDecisionsMs = performance.now() - started;
    const afterDecisions = memoryAfterGc();
    return { tokens: tokens.length, decisions: parties.length, before, afterTokens, afterDecisions, fillDecisionsMs };
  },
});

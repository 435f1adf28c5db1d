import { isValidOrgNo } from '../../src/party/orgno.js';
/** What the bench process and the scenario servers agree on. */

/** The operation every library scenario protects, as the README's example does. */
export const KRAV = { scope: 'skatteetaten:kravogbetalinger', resource: 'ske-krav-og-betalinger', action: 'read' };
/** Rør og Vann AS: the party of the hot path. */
export const PARTY = '310478717';
export const THINGS_PATH = `/v1/${PARTY}/things`;
export const GATEWAY_PATH = `/api/innkreving/kravogbetalinger/v1/${PARTY}/aapnekrav`;
/** `aud` for the auth0 scenario: express-oauth2-jwt-bearer insists on an audience. */
export const AUTH0_AUDIENCE = 'https://bench.portvakt.invalid/api';

/** The same small JSON body in every library scenario. */
export const thingsBody = (party: string) => ({ partIdentifikator: party, things: [] as string[] });

/** Messages between the bench (parent) and a scenario server (child) over the fork IPC channel. */
export type ToServer = { id: number; type: string; payload?: unknown };
export type FromServer = { type: 'ready'; port: number } | { id: number; result?: unknown; error?: string };

/** `count` distinct valid Norwegian organization numbers (mod-11 check digit), from the 8-digit `start` upwards. */
export function orgNumbers(count: number, start = 900_000_00): string[] {
  const out: string[] = [];
  for (let base = start; out.length < count; base++) {
    const stem = String(base).padStart(8, '0');
    for (let digit = 0; digit <= 9; digit++) {
      if (isValidOrgNo(`${stem}${digit}`)) out.push(`${stem}${digit}`);
    }
  }
  return out;
}

/** Resident memory and heap after a full GC (the server runs with --expose-gc), in bytes. */
export function memoryAfterGc(): { rss: number; heapUsed: number; external: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

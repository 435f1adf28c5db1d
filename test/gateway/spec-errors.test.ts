import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ClaimsStore } from '../../src/claims/store.js';
import { createGatewayApp } from '../../src/gateway/app.js';
import { kravOgBetalingerHandlers } from '../../src/gateway/handlers/krav-og-betalinger.js';
import { loadSpec, SpecError } from '../../src/gateway/openapi.js';
import { DEFAULT_SPEC } from '../../src/gateway/server.js';
import { createLogger } from '../../src/log.js';
import { createPortvakt } from '../../src/portvakt.js';

const dir = mkdtempSync(join(tmpdir(), 'portvakt-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AAPNEKRAV = '/api/innkreving/kravogbetalinger/v1/{partIdentifikator}/aapnekrav';

/** openapi.yaml with one change to its `aapnekrav` GET operation. */
function specWith(change: (operation: Record<string, unknown>) => void): string {
  const doc = parse(readFileSync(DEFAULT_SPEC, 'utf8')) as { paths: Record<string, { get: Record<string, unknown> }> };
  change(doc.paths[AAPNEKRAV]!.get);
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

function mount(specFile: string) {
  const portvakt = createPortvakt({ issuer: 'https://test.maskinporten.no/', pdpUrl: 'http://127.0.0.1:9/' });
  return createGatewayApp({
    portvakt,
    spec: loadSpec(specFile),
    handlers: kravOgBetalingerHandlers,
    store: {} as ClaimsStore,
    logger: createLogger('silent'),
  });
}

describe('a spec the gateway cannot serve stops it at start, naming the operation', () => {
  it.each([
    ['x-altinn-resource', (op: Record<string, unknown>) => delete op['x-altinn-resource'], /x-altinn-resource/],
    ['x-altinn-action', (op: Record<string, unknown>) => delete op['x-altinn-action'], /x-altinn-action/],
    ['operationId', (op: Record<string, unknown>) => delete op.operationId, /operationId/],
    [
      'a bad upstream',
      (op: Record<string, unknown>) => (op['x-portvakt-upstream'] = 'not a url'),
      /x-portvakt-upstream/,
    ],
  ])('a secured operation without %s', (_name, change, message) => {
    const file = specWith(change);
    expect(() => loadSpec(file)).toThrow(SpecError);
    expect(() => loadSpec(file)).toThrow(message);
  });

  it('a secured operation with no resource handler and no upstream', () => {
    const file = specWith((op) => {
      op.operationId = 'hentUkjent';
    });
    expect(() => mount(file)).toThrow(/hentUkjent/);
  });

  it('serves the shipped spec', () => {
    expect(() => mount(new URL(DEFAULT_SPEC).pathname)).not.toThrow();
  });
});

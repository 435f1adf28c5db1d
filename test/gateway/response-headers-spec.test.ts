import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadSpec, SpecError } from '../../src/gateway/openapi.js';
import { DEFAULT_SPEC } from '../../src/gateway/server.js';

/** `x-portvakt-response-headers`, per operation or for the whole document, as the gateway reads it. */
const dir = mkdtempSync(join(tmpdir(), 'portvakt-allow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AAPNEKRAV = '/api/innkreving/kravogbetalinger/v1/{partIdentifikator}/aapnekrav';

function specWith(documentList: unknown, operationList: unknown): string {
  type Node = Record<string, unknown>;
  const doc = parse(readFileSync(DEFAULT_SPEC, 'utf8')) as Node;
  if (documentList !== undefined) doc['x-portvakt-response-headers'] = documentList;
  const operation = ((doc.paths as Node)[AAPNEKRAV] as Node).get as Node;
  if (operationList !== undefined) operation['x-portvakt-response-headers'] = operationList;
  const file = join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}
const listOf = (file: string) => loadSpec(file).operations.find((o) => o.path === AAPNEKRAV)!.responseHeaders;

describe('x-portvakt-response-headers', () => {
  it('is empty by default', () => {
    expect(listOf(specWith(undefined, undefined))).toEqual([]);
  });

  it('an operation’s list replaces the document’s; names are matched in lower case', () => {
    expect(listOf(specWith(['Set-Cookie'], undefined))).toEqual(['set-cookie']);
    expect(listOf(specWith(['Set-Cookie'], ['Cache-Control']))).toEqual(['cache-control']);
    expect(listOf(specWith(['Set-Cookie'], []))).toEqual([]);
  });

  it.each([
    ['a security header', ['Content-Security-Policy']],
    ['X-Frame-Options', ['x-frame-options']],
    ['the request id', ['X-Request-Id']],
    ['a hop-by-hop header', ['Transfer-Encoding']],
    ['not a list', 'Set-Cookie'],
    ['not a header name', ['Set Cookie']],
  ])('refuses %s at start', (_name, list) => {
    expect(() => loadSpec(specWith(undefined, list))).toThrow(SpecError);
    expect(() => loadSpec(specWith(list, undefined))).toThrow(SpecError);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ERROR_CODES } from '../../../src/errors.js';
import { GATEWAY_PROBLEMS } from '../../../src/gateway/errors.js';
import { kravOgBetalingerHandlers } from '../../../src/gateway/handlers/krav-og-betalinger.js';
import { HTTP_PROBLEMS } from '../../../src/problem.js';

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  'x-altinn-resource'?: string;
  'x-altinn-action'?: string;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } };
}

const doc = parse(readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8')) as Document;
// A path item also holds `parameters` (an array, without operationId): filtered out here.
const operations = Object.values(doc.paths).flatMap((item) =>
  Object.values(item).filter((op) => op.operationId !== undefined),
);
const secured = operations.filter((op) => (op.security ?? []).length > 0);

describe('openapi.yaml and the Krav og betalinger handlers', () => {
  it('has a handler for every secured operation, and no handler without one', () => {
    expect(secured.map((op) => op.operationId).sort()).toEqual(Object.keys(kravOgBetalingerHandlers).sort());
  });

  it('gives every secured operation its scope, Altinn resource and action', () => {
    for (const op of secured) {
      expect(op.security).toEqual([{ maskinporten: ['skatteetaten:kravogbetalinger'] }]);
      expect(op['x-altinn-resource']).toBe('ske-krav-og-betalinger');
      expect(op['x-altinn-action']).toBe('read');
    }
  });

  it('leaves the operations endpoints open and without Altinn extensions', () => {
    for (const op of operations.filter((o) => !secured.includes(o))) {
      expect(op.security).toEqual([]);
      expect(op['x-altinn-resource']).toBeUndefined();
    }
  });

  it('lists every error code in the Problem schema', () => {
    expect([...doc.components.schemas.Problem.properties.code.enum].sort()).toEqual(
      [...Object.keys(ERROR_CODES), ...Object.keys(HTTP_PROBLEMS), ...Object.keys(GATEWAY_PROBLEMS)].sort(),
    );
  });
});

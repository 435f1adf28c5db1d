import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An OpenAPI document as a file (YAML or JSON), a URL to fetch it from, or the parsed object. */
export type SpecSource = string | URL | Json;

export class SpecReadError extends Error {
  override name = 'SpecReadError';
}

/** Reads an OpenAPI 3.x document from a file or http(s) URL (YAML is a superset of JSON), or takes it as given. */
export async function loadDocument(source: SpecSource): Promise<Json> {
  if (isObject(source) && !(source instanceof URL)) return checked(source, 'the document');
  const where = String(source);
  let text: string;
  if (/^https?:/.test(where)) {
    const res = await fetch(where, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new SpecReadError(`${where}: HTTP ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = readFileSync(source as string | URL, 'utf8');
    } catch (err) {
      throw new SpecReadError(`${where}: ${(err as Error).message}`);
    }
  }
  return checked(parse(text) as unknown, where);
}

/** The same, synchronously, for a file. */
export function loadDocumentFile(file: string | URL): Json {
  return checked(parse(readFileSync(file, 'utf8')) as unknown, String(file));
}

function checked(document: unknown, where: string): Json {
  if (!isObject(document) || !isObject(document.paths)) throw new SpecReadError(`${where}: not an OpenAPI document`);
  if (typeof document.openapi !== 'string' || !document.openapi.startsWith('3.')) {
    throw new SpecReadError(`${where}: only OpenAPI 3.x is supported (openapi: ${String(document.openapi)})`);
  }
  return document;
}

export const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
export const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** The node at a JSON pointer (`/paths/~1x/get`), or undefined. */
export function at(document: Json, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map(unescapePointer)
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), document);
}

/** Follows local `$ref`s; returns the node and the pointer of where it really is. */
export function resolve(document: Json, node: unknown, pointer: string): { node: Json; pointer: string } | undefined {
  let current = node;
  let where = pointer;
  for (let i = 0; i < 10 && isObject(current) && typeof current.$ref === 'string'; i++) {
    where = current.$ref.replace(/^#/, '');
    current = at(document, where);
  }
  return isObject(current) ? { node: current, pointer: where } : undefined;
}

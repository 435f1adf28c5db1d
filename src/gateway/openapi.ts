import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { NEVER_FROM_UPSTREAM } from './headers.js';

/** One secured operation of openapi.yaml, as the gateway mounts it. */
export interface SpecOperation {
  method: string;
  /** The OpenAPI path template, e.g. `/api/…/v1/{partIdentifikator}/aapnekrav`. */
  path: string;
  /** The same path in Express syntax, e.g. `/api/…/v1/:partIdentifikator/aapnekrav`. */
  expressPath: string;
  operationId: string;
  scope: string;
  resource: string;
  action: string;
  /** Name of the path parameter that holds the party. */
  partyParam: string;
  /** `x-portvakt-upstream`: forward to this base URL after authorization instead of a local handler. */
  upstream: string | undefined;
  /** The operation's query parameters (path-level ones included, `$ref`s resolved). */
  queryParameters: QueryParameter[];
  /**
   * `x-portvakt-response-headers` (the operation's, else the document's): upstream response headers the
   * gateway would otherwise drop or override (cookies, CORS, `X-Portvakt-*`, `Cache-Control`), lower case.
   */
  responseHeaders: string[];
}

export interface QueryParameter {
  name: string;
  required: boolean;
  /** JSON Schema of one value. */
  schema: Record<string, unknown>;
}

export interface LoadedSpec {
  /** The raw YAML text, served as-is at /openapi.yaml. */
  text: string;
  document: Record<string, unknown>;
  operations: SpecOperation[];
  /** Every path in Express syntax with the methods the spec gives it (for 405 and `Allow`). */
  paths: Map<string, string[]>;
}

export class SpecError extends Error {
  override name = 'SpecError';
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function responseHeadersOf(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && HEADER_NAME.test(v))) {
    throw new SpecError(`${where}: x-portvakt-response-headers must be a list of header names`);
  }
  const names = value.map((v: string) => v.toLowerCase());
  const forbidden = names.find((n) => NEVER_FROM_UPSTREAM.has(n));
  if (forbidden) throw new SpecError(`${where}: x-portvakt-response-headers cannot allow ${forbidden}`);
  return names;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const DEFAULT_PARTY_PARAM = 'partIdentifikator';

export const toExpressPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The operation's OAuth scope: its own `security`, else the document's. Empty list = unsecured. */
function scopesOf(operation: Json, document: Json): string[] {
  const security = (operation.security ?? document.security) as unknown;
  if (!Array.isArray(security)) return [];
  return security
    .flatMap((req) => (isObject(req) ? Object.values(req).flat() : []))
    .filter((s) => typeof s === 'string');
}

/** Resolves a local `$ref` (`#/components/parameters/X`) once; the spec is our own, so no remote refs. */
function resolveRef(document: Json, value: unknown, where: string): Json {
  if (!isObject(value)) throw new SpecError(`${where}: a parameter is not an object`);
  const ref = value.$ref;
  if (typeof ref !== 'string') return value;
  const target = ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>(
      (node, key) => (isObject(node) ? node[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined),
      document,
    );
  if (!isObject(target)) throw new SpecError(`${where}: ${ref} does not resolve`);
  return target;
}

function queryParametersOf(document: Json, item: Json, operation: Json, where: string): QueryParameter[] {
  const all = [
    ...(Array.isArray(item.parameters) ? item.parameters : []),
    ...(Array.isArray(operation.parameters) ? operation.parameters : []),
  ];
  const byName = new Map<string, QueryParameter>();
  for (const raw of all) {
    const param = resolveRef(document, raw, where);
    if (param.in !== 'query' || typeof param.name !== 'string') continue;
    // An operation-level parameter overrides a path-level one of the same name (OpenAPI 3.1 §4.8.10).
    byName.set(param.name, {
      name: param.name,
      required: param.required === true,
      schema: isObject(param.schema) ? param.schema : {},
    });
  }
  return [...byName.values()];
}

/**
 * Reads openapi.yaml and lists its secured operations with scope, resource and action taken from
 * the spec (never from code constants). A secured operation without the extensions is a start-up error.
 */
export function loadSpec(file: string | URL): LoadedSpec {
  const text = readFileSync(file, 'utf8');
  // Through JSON once, for one-byte strings: V8 keeps every string cut from a text with a character beyond
  // Latin-1 (openapi.yaml has dashes and arrows) as two-byte, and every string built from it per request (audit
  // lines, decision keys, metric labels) too. JSON.parse gives one-byte strings where the characters allow: the
  // gateway's CPU per request fell by 14–22 µs in `npm run bench` (docs/performance-data-path.md).
  const document = JSON.parse(JSON.stringify(parse(text))) as unknown;
  if (!isObject(document) || !isObject(document.paths)) throw new SpecError(`${file}: not an OpenAPI document`);
  const documentResponseHeaders = responseHeadersOf(document['x-portvakt-response-headers'], String(file)) ?? [];
  const operations: SpecOperation[] = [];
  const paths = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isObject(item)) continue;
    const methods: string[] = [];
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      methods.push(method.toUpperCase());
      const scopes = scopesOf(operation, document);
      if (scopes.length === 0) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const resource = operation['x-altinn-resource'];
      const action = operation['x-altinn-action'];
      const upstream = operation['x-portvakt-upstream'];
      if (typeof resource !== 'string' || typeof action !== 'string') {
        throw new SpecError(`${where}: a secured operation needs x-altinn-resource and x-altinn-action`);
      }
      if (typeof operation.operationId !== 'string') throw new SpecError(`${where}: operationId is required`);
      if (upstream !== undefined && (typeof upstream !== 'string' || !URL.canParse(upstream))) {
        throw new SpecError(`${where}: x-portvakt-upstream must be a URL`);
      }
      const partyParam =
        typeof operation['x-portvakt-party'] === 'string' ? operation['x-portvakt-party'] : DEFAULT_PARTY_PARAM;
      if (!path.includes(`{${partyParam}}`)) throw new SpecError(`${where}: the path has no {${partyParam}} parameter`);
      if (scopes.length > 1) throw new SpecError(`${where}: exactly one scope is supported per operation`);
      operations.push({
        method,
        path,
        expressPath: toExpressPath(path),
        operationId: operation.operationId,
        scope: scopes[0]!,
        resource,
        action,
        partyParam,
        upstream,
        queryParameters: queryParametersOf(document, item, operation, where),
        // The operation's own list replaces the document's, as an operation's `security` does.
        responseHeaders: responseHeadersOf(operation['x-portvakt-response-headers'], where) ?? documentResponseHeaders,
      });
    }
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    paths.set(toExpressPath(path), methods);
  }
  return { text, document, operations, paths };
}

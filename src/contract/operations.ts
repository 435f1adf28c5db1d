import { isObject, type Json, resolve, SpecReadError } from './document.js';

/**
 * Values for the requests the tester makes, from a small data file (JSON or YAML); every field is optional.
 *
 * ```yaml
 * party: "310478717"        # a party the system user may act for (default: the sandbox's/kit's)
 * otherParty: "314055403"   # one it may not
 * parameters:               # path and query values by parameter name, for every operation
 *   fraOgMed: "2026-01-01"
 * operations:               # per operationId, over `parameters`
 *   hentKrav: { parameters: { tilOgMed: "2026-06-30" } }
 * ```
 */
export interface ContractData {
  party?: string;
  otherParty?: string;
  parameters?: Record<string, string>;
  operations?: Record<string, { parameters?: Record<string, string> }>;
}

/** One secured operation of the document, ready to be called. */
export interface ContractOperation {
  operationId: string;
  /** Upper case, e.g. `GET`. */
  method: string;
  /** The path template, e.g. `/v1/{partIdentifikator}/krav`. */
  path: string;
  scope: string;
  resource: string;
  action: string;
  /** The path parameter that names the party. */
  partyParameter: string;
  /** Values of the other path parameters. */
  pathValues: Record<string, string>;
  /** Query values: every required query parameter, and optional ones the data file gives. */
  query: Record<string, string>;
  /** The documented 2xx statuses (`200`, `2XX`, …). */
  successStatuses: string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const DEFAULT_PARTY_PARAMETER = 'partIdentifikator';

function scopesOf(operation: Json, document: Json): string[] {
  const security = operation.security ?? document.security;
  if (!Array.isArray(security)) return [];
  return security
    .flatMap((req) => (isObject(req) ? Object.values(req).flat() : []))
    .filter((s) => typeof s === 'string');
}

const today = () => new Date().toISOString().slice(0, 10);

/** A value for a parameter from its examples, else its schema (example, default, enum, format, type). */
function exampleOf(parameter: Json, document: Json): string | undefined {
  const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  if (parameter.example !== undefined) return text(parameter.example);
  if (isObject(parameter.examples)) {
    const first = Object.values(parameter.examples)[0];
    const resolved = resolve(document, first, '/examples');
    if (resolved?.node.value !== undefined) return text(resolved.node.value);
  }
  const schema = resolve(document, parameter.schema, '/schema')?.node;
  if (!schema) return undefined;
  if (schema.example !== undefined) return text(schema.example);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return text(schema.examples[0]);
  if (schema.default !== undefined) return text(schema.default);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return text(schema.enum[0]);
  if (schema.format === 'date') return today();
  if (schema.format === 'date-time') return new Date().toISOString();
  if (schema.type === 'integer' || schema.type === 'number') return text(schema.minimum ?? 1);
  if (schema.type === 'boolean') return 'true';
  return undefined;
}

/**
 * The document's secured operations (those with a security requirement naming a scope), each with the
 * Altinn resource and action of its `x-altinn-resource` and `x-altinn-action`, and parameter values
 * from the data file, else the document's examples and schemas. Throws a SpecReadError naming the
 * operation when one cannot be tested.
 */
export function discoverOperations(document: Json, data: ContractData = {}): ContractOperation[] {
  const operations: ContractOperation[] = [];
  const paths = isObject(document.paths) ? document.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = resolve(document, rawItem, '/paths')?.node;
    if (!item) continue;
    for (const method of METHODS) {
      const operation: unknown = item[method];
      if (!isObject(operation)) continue;
      const scopes = scopesOf(operation, document);
      if (scopes.length === 0) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const operationId = operation.operationId;
      const resource = operation['x-altinn-resource'];
      const action = operation['x-altinn-action'];
      if (typeof operationId !== 'string')
        throw new SpecReadError(`${where}: a secured operation needs an operationId`);
      if (typeof resource !== 'string' || typeof action !== 'string') {
        throw new SpecReadError(
          `${operationId} (${where}): a secured operation needs x-altinn-resource and x-altinn-action`,
        );
      }
      const values = { ...data.parameters, ...data.operations?.[operationId]?.parameters };
      const parameters = [
        ...(Array.isArray(item.parameters) ? item.parameters : []),
        ...(Array.isArray(operation.parameters) ? operation.parameters : []),
      ]
        .map((p) => resolve(document, p, '/parameters')?.node)
        .filter((p): p is Json => p !== undefined && typeof p.name === 'string');
      // An operation-level parameter overrides a path-level one of the same name and place.
      const byKey = new Map(parameters.map((p) => [`${String(p.in)}:${String(p.name)}`, p]));
      const pathNames = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const declared = operation['x-portvakt-party'];
      const partyParameter =
        typeof declared === 'string'
          ? declared
          : pathNames.includes(DEFAULT_PARTY_PARAMETER) || pathNames.length !== 1
            ? DEFAULT_PARTY_PARAMETER
            : pathNames[0]!;
      if (!pathNames.includes(partyParameter)) {
        throw new SpecReadError(`${operationId} (${where}): no {${partyParameter}} in the path (set x-portvakt-party)`);
      }
      const pathValues: Record<string, string> = {};
      for (const name of pathNames.filter((n) => n !== partyParameter)) {
        const value = values[name] ?? exampleOf(byKey.get(`path:${name}`) ?? {}, document);
        if (value === undefined)
          throw new SpecReadError(`${operationId}: no value for path parameter ${name} (give one in the data file)`);
        pathValues[name] = value;
      }
      const query: Record<string, string> = {};
      for (const parameter of byKey.values()) {
        if (parameter.in !== 'query') continue;
        const name = String(parameter.name);
        const value = values[name] ?? (parameter.required === true ? exampleOf(parameter, document) : undefined);
        if (value !== undefined) query[name] = value;
        else if (parameter.required === true) {
          throw new SpecReadError(`${operationId}: no value for query parameter ${name} (give one in the data file)`);
        }
      }
      const responses = isObject(operation.responses) ? operation.responses : {};
      operations.push({
        operationId,
        method: method.toUpperCase(),
        path,
        scope: scopes[0]!,
        resource,
        action,
        partyParameter,
        pathValues,
        query,
        successStatuses: Object.keys(responses).filter((s) => /^2/.test(s)),
      });
    }
  }
  return operations;
}

/** The request path for `operation` and `party`, query included. */
export function requestPath(operation: ContractOperation, party: string): string {
  const values: Record<string, string> = { ...operation.pathValues, [operation.partyParameter]: party };
  const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
  const query = new URLSearchParams(operation.query).toString();
  return query ? `${path}?${query}` : path;
}

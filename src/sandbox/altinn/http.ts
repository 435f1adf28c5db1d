import type { IncomingMessage } from 'node:http';
import { readBody } from '../../testing/http.js';

/** What a handler answers: JSON (`body`), a page (`html`), plain text, or nothing (`status` alone). */
export interface Reply {
  status: number;
  body?: unknown;
  html?: string;
  text?: string;
  headers?: Record<string, string>;
}

/** An answer that ends a request early: thrown by helpers, written by the router. */
export class Answer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
    readonly contentType = 'application/problem+json',
  ) {
    super(`HTTP ${status}`);
  }
}

/**
 * Altinn's problem descriptors (altinn-authentication `src/Core/Problems/Problem.cs`): number → status and
 * title. Only those the sandbox can produce are listed.
 */
const PROBLEMS = {
  0: [400, "Can't resolve the Organisation Number from the logged in Reportee PartyId."],
  1: [400, 'One or more Right not found or not delegable.'],
  4: [400, 'Failed to create new SystemUser, existing SystemUser tied to the given System-Id.'],
  6: [400, 'The combination of External Ids refer to an already Accepted SystemUser.'],
  7: [400, 'The combination of External Ids refer to a Pending Request, please reuse or delete.'],
  8: [400, 'The combination of External Ids refer to a Denied Request, please delete and renew the Request.'],
  9: [400, 'The combination of External Ids refer to a Rejected Request, please delete and renew the Request.'],
  10: [404, 'The Id does not refer to a Request in our system.'],
  11: [404, 'The Id does not refer to a Registered System.'],
  13: [409, 'The Status of the Request is not New.'],
  15: [404, 'The SystemUser was not found.'],
  21: [400, 'The RedirectUri was not found or not valid.'],
  23: [401, "Can't resolve the Organisation Number for the Vendor from the Token."],
  24: [403, "you don't have rights to delete this systemuser"],
  25: [400, 'The request id is valid but its not a valid request for creating an agent system user'],
  26: [400, 'No redirect uris are set for the system'],
  30: [404, 'The Id does not refer to an AgentRequest in our system.'],
  34: [400, 'The system user type of the provided system user GUID is not an agent.'],
  35: [400, 'The system user has delegations from customer. Remove the delegations before deleting the system user'],
  36: [400, 'The system user type of the provided system user GUID is not standard.'],
  38: [400, 'Delegation not found'],
  58: [400, 'No AccessPackages found, an Agent SystemUser must have at least one'],
  59: [400, 'No AccessPackages or Single Rights found, a SystemUser must have at least one'],
  61: [409, 'The Status of the Request is not New. Please generate a new CorrellationId for a new Change Request'],
  63: [400, 'One or more accesspackage is not found in the referenced system in the System Register.'],
  64: [
    400,
    'One or more access packages cannot be delegated. Either they are intended for clients or they cannot be delegated further.',
  ],
  65: [400, 'One or more access packages cannot be delegated because they are not intended for client relationships'],
  79: [400, 'Client not found.'],
} as const satisfies Record<number, readonly [number, string]>;
export type ProblemNumber = keyof typeof PROBLEMS;

const code = (prefix: string, n: number) => `${prefix}-${String(n).padStart(5, '0')}`;

/** `AUTH-000NN` as problem+json, with the source's status and title. */
export function problem(n: ProblemNumber, detail?: string): Answer {
  const [status, title] = PROBLEMS[n];
  const c = code('AUTH', n);
  return new Answer(status, { type: `urn:altinn:error:${c}`, title, status, code: c, ...(detail ? { detail } : {}) });
}

/** Altinn's validation descriptors (`src/Core/Errors/ValidationErrors.cs`): number → title. */
const VALIDATIONS = {
  0: 'the org number identifier is not valid ISO6523 identifier',
  1: 'The system id does not match the format orgnumber_xxxx...',
  2: 'The system id already exists',
  3: "One or more resources specified in rights were not found in Altinn's resource register.",
  4: 'One of the client id is already tagged with an existing system',
  5: 'One or more of the redirect urls format is not valid. The valid format is https://xxx.xx',
  6: 'One or more duplicate rights found',
  7: 'One or more duplicate access package(s) found',
  8: "One or all the accesspackage(s) is not found in altinn's access packages or is not delegable",
  9: 'One or more resource id is in wrong format. The valid format is urn:altinn:resource',
  11: 'Request contains duplicate client ids',
  12: 'The system ID in the request body does not match the system ID in the URL',
  13: 'System ID cannot have spaces in id (leading, trailing or in between the id)',
  14: 'System user not found',
  15: 'SystemUser is not a valid system user of type agent',
  16: 'The client query parameter is missing or invalid',
  18: "Access packages meant for system user for client relations can't be used in combination with the flag isVisible: true",
} as const;
export type ValidationNumber = keyof typeof VALIDATIONS;

export interface ValidationError {
  code: string;
  title: string;
  paths: string[];
  detail?: string;
}

/** Collects `AUTH.VLD-000NN` errors as Altinn's ValidationProblemBuilder does. */
export class Validation {
  readonly errors: ValidationError[] = [];
  add(n: ValidationNumber, path: string, detail?: string): this {
    this.errors.push({
      code: code('AUTH.VLD', n),
      title: n === 14 && path === '?agent' ? 'The agent query parameter is missing or invalid' : VALIDATIONS[n],
      paths: [path],
      ...(detail ? { detail } : {}),
    });
    return this;
  }
  /** Throws the 400 validation problem when anything was added. */
  check(): void {
    if (this.errors.length > 0) throw validationProblem(this.errors);
  }
}

export const validationProblem = (validationErrors: ValidationError[]) =>
  new Answer(400, {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    code: 'STD-00000',
    validationErrors,
  });

/** ASP.NET Core's own answer when model binding fails (a required property missing, JSON of the wrong type). */
export const modelStateProblem = (errors: Record<string, string[]>) =>
  new Answer(400, {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    errors,
  });

/** ASP.NET Core's bare answers: `NotFound()`, `Forbid()`, `Unauthorized()`, `BadRequest(text)`. */
export const bare = (status: number, headers: Record<string, string> = {}) => new Answer(status, undefined, headers);
export const plainError = (status: number, text: string) => new Answer(status, text, {}, 'text/plain');

/**
 * The expected shape of a JSON body: property names as Altinn spells them, nested shapes for objects and
 * `[shape]` for lists of objects. `true` marks a leaf.
 */
export type Shape = true | { [name: string]: Shape } | [Shape];

/**
 * Renames every property whose name matches an expected one case-insensitively to the expected spelling,
 * recursively, as ASP.NET Core's System.Text.Json binds (PropertyNameCaseInsensitive). Unknown
 * properties are left as they are (and ignored by the handlers).
 */
export function bindKeys(value: unknown, shape: Shape): unknown {
  if (shape === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(shape)) return Array.isArray(value) ? value.map((v) => bindKeys(v, shape[0])) : value;
  if (Array.isArray(value)) return value;
  const byLower = new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = byLower.get(key.toLowerCase());
    // The exact spelling wins when a body carries both (System.Text.Json takes the last; either is a vendor bug).
    if (name === undefined) out[key] = v;
    else if (!(name in out) || key === name) out[name] = bindKeys(v, shape[name]!);
  }
  return out;
}

/** The request's JSON body bound to `shape`; not JSON, or not an object, is ASP.NET's 400. */
export async function jsonBody(req: IncomingMessage, shape: Shape): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw modelStateProblem({ $: ['The JSON value could not be converted.'] });
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw modelStateProblem({ $: ['The JSON value could not be converted.'] });
  }
  return bindKeys(parsed, shape) as Record<string, unknown>;
}

/** `{ resource: [{ id, value }], action }` — one right, as Altinn's `Right` record. */
export const RIGHT_SHAPE: Shape = { action: true, resource: [{ id: true, value: true }] };
export const ACCESS_PACKAGE_SHAPE: Shape = { urn: true };

export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One request as a handler sees it: the path's captured segments (decoded) and the query. */
export interface Call {
  req: IncomingMessage;
  method: string;
  params: string[];
  query: URLSearchParams;
}

/** A route: method, path pattern (captures become `params`) and handler. */
export interface Route {
  method: string;
  path: RegExp;
  handle(call: Call): Promise<Reply> | Reply;
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({
  status: 200,
  body,
  ...(headers ? { headers } : {}),
});

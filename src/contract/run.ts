import { randomInt } from 'node:crypto';
import { isValidOrgNo } from '../party/orgno.js';
import type { TestIssuer } from '../testing/issuer.js';
import type { TestPdp } from '../testing/pdp.js';
import { type Authority, kitAuthority } from './authority.js';
import { type CaseId, type Challenge, MATRIX, type MatrixCase } from './cases.js';
import { loadDocument, type SpecSource } from './document.js';
import { ContractTestError } from './error.js';
import { type ContractData, type ContractOperation, discoverOperations, requestPath } from './operations.js';
import { createResponseValidator, type ResponseUnderTest, type ResponseValidator } from './validator.js';

export interface ContractTestOptions {
  /** The OpenAPI 3.x document: a file, an http(s) URL, or the parsed object. */
  spec: SpecSource;
  /** Where the target listens, e.g. `http://127.0.0.1:8080`; the document's paths are appended. */
  baseUrl: string;
  /** The testing kit's issuer and PDP the target was started against (`testConfig(issuer, pdp)`). */
  issuer?: TestIssuer;
  pdp?: TestPdp;
  /** Or the sandbox the target trusts (`portvakt sandbox`). */
  sandbox?: { maskinportenUrl: string; altinnUrl: string };
  /** Parties and parameter values (see `ContractData`). */
  data?: ContractData;
  /** Only these operationIds. */
  only?: readonly string[];
  /** One request's deadline, in milliseconds. Default 10000. */
  requestTimeoutMs?: number;
}

export type CaseOutcome = 'passed' | 'failed' | 'skipped';

export interface ContractCaseResult {
  operationId: string;
  method: string;
  path: string;
  case: CaseId;
  description: string;
  outcome: CaseOutcome;
  /** What the case expects, e.g. `403 insufficient_scope`. */
  expected: string;
  /** What came back, e.g. `200 application/json`; empty when skipped. */
  actual: string;
  /** Every way the answer differed (empty when passed). */
  problems: string[];
  /** One line naming the operation, the case and what differed (failed and skipped only). */
  message?: string;
  durationMs: number;
}

export interface ContractReport {
  /** Where tokens and decisions came from. */
  authority: string;
  baseUrl: string;
  results: ContractCaseResult[];
  passed: number;
  failed: number;
  skipped: number;
  /** True when nothing failed. */
  ok: boolean;
  durationMs: number;
}

/** A valid organization number nobody has asked about, so no decision for it is cached. */
function freshParty(): string {
  for (;;) {
    const stem = String(randomInt(80_000_000, 99_999_999));
    for (let d = 0; d <= 9; d++) if (isValidOrgNo(`${stem}${d}`)) return `${stem}${d}`;
  }
}

/** The same party with another check digit: nine digits, so only the mod-11 check refuses it. */
function malformedParty(party: string): string {
  const stem = party.slice(0, 8);
  for (let d = 0; d <= 9; d++) if (`${stem}${d}` !== party && !isValidOrgNo(`${stem}${d}`)) return `${stem}${d}`;
  return '000000001';
}

function describeExpected(c: MatrixCase, op: ContractOperation): string {
  if (!c.refusal) return `${op.successStatuses.join('/') || '2xx'} valid per document`;
  return `${c.refusal.status} ${c.refusal.code}`;
}

const mediaType = (res: ResponseUnderTest) =>
  String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
const headerOf = (res: ResponseUnderTest, name: string) => {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

function challengeProblem(expected: Challenge, header: string | undefined, scope: string): string | undefined {
  if (header === undefined) return 'no WWW-Authenticate header';
  if (!/^Bearer\b/i.test(header)) return `WWW-Authenticate is "${header}", not a Bearer challenge`;
  if (expected === 'bearer') {
    return /\berror=/i.test(header)
      ? `WWW-Authenticate "${header}" has an error attribute (none without a token)`
      : undefined;
  }
  if (!new RegExp(`\\berror="${expected}"`).test(header))
    return `WWW-Authenticate "${header}" lacks error="${expected}"`;
  if (expected === 'insufficient_scope' && !header.includes(`scope="${scope}"`)) {
    return `WWW-Authenticate "${header}" lacks scope="${scope}"`;
  }
  return undefined;
}

/** What differs between a refusal and the expected one (status, problem+json, code, headers). */
function refusalProblems(c: MatrixCase, op: ContractOperation, res: ResponseUnderTest, body: unknown): string[] {
  const expected = c.refusal!;
  const problems: string[] = [];
  const code = (body as { code?: unknown } | undefined)?.code;
  if (res.status !== expected.status) {
    problems.push(
      `expected ${expected.status} ${expected.code}, got ${res.status}${typeof code === 'string' ? ` ${code}` : ''}`,
    );
  }
  if (mediaType(res) !== 'application/problem+json') {
    problems.push(`the refusal is ${mediaType(res) || 'without Content-Type'}, not application/problem+json`);
  } else if (code !== expected.code) {
    problems.push(`problem code ${JSON.stringify(code)}, expected "${expected.code}"`);
  }
  if (expected.challenge) {
    const problem = challengeProblem(expected.challenge, headerOf(res, 'www-authenticate'), op.scope);
    if (problem) problems.push(problem);
  }
  if (expected.retryAfter && headerOf(res, 'retry-after') === undefined) problems.push('no Retry-After header');
  return problems;
}

function parseBody(res: ResponseUnderTest): unknown {
  try {
    return JSON.parse(res.text ?? '');
  } catch {
    return undefined;
  }
}

/**
 * Drives every secured operation of the document through the authorization matrix against the target
 * and validates every answer against the document. Never throws for a failing target: the report says
 * what failed. Throws ContractTestError for a document or options it cannot work with.
 */
export async function contractTest(options: ContractTestOptions): Promise<ContractReport> {
  const started = performance.now();
  const document = await loadDocument(options.spec);
  const data = options.data ?? {};
  let operations = discoverOperations(document, data);
  if (options.only && options.only.length > 0) {
    const unknown = options.only.filter((id) => !operations.some((op) => op.operationId === id));
    if (unknown.length > 0)
      throw new ContractTestError(`--only: no secured operation ${unknown.join(', ')} in the document`);
    operations = operations.filter((op) => options.only!.includes(op.operationId));
  }
  if (operations.length === 0) throw new ContractTestError('the document has no secured operation to test');
  const authority = await authorityFor(options);
  const validator = createResponseValidator(document);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.requestTimeoutMs ?? 10_000;

  const results: ContractCaseResult[] = [];
  for (const op of operations) {
    await authority.prepare(op);
    for (const c of MATRIX) {
      results.push(await runCase({ op, c, authority, validator, baseUrl, timeoutMs }));
    }
  }
  const count = (outcome: CaseOutcome) => results.filter((r) => r.outcome === outcome).length;
  return {
    authority: authority.name,
    baseUrl,
    results,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    ok: count('failed') === 0,
    durationMs: Math.round(performance.now() - started),
  };
}

async function authorityFor(options: ContractTestOptions): Promise<Authority> {
  const parties = { party: options.data?.party, otherParty: options.data?.otherParty };
  if (options.issuer && options.pdp) return kitAuthority({ issuer: options.issuer, pdp: options.pdp, ...parties });
  if (options.sandbox) {
    // Loaded only when asked for, so `portvakt/testing` users never load the sandbox.
    const { sandboxAuthority } = await import('./sandbox-authority.js');
    return sandboxAuthority({ ...options.sandbox, ...parties });
  }
  throw new ContractTestError('give the testing kit (issuer and pdp) or the sandbox the target trusts');
}

interface CaseRun {
  op: ContractOperation;
  c: MatrixCase;
  authority: Authority;
  validator: ResponseValidator;
  baseUrl: string;
  timeoutMs: number;
}

async function runCase({ op, c, authority, validator, baseUrl, timeoutMs }: CaseRun): Promise<ContractCaseResult> {
  const started = performance.now();
  const result = (outcome: CaseOutcome, actual: string, problems: string[]): ContractCaseResult => ({
    operationId: op.operationId,
    method: op.method,
    path: op.path,
    case: c.id,
    description: c.description,
    outcome,
    expected: describeExpected(c, op),
    actual,
    problems,
    ...(outcome === 'passed'
      ? {}
      : { message: `${op.operationId} › ${c.id} (${c.description}): ${problems.join('; ')}` }),
    durationMs: Math.round(performance.now() - started),
  });
  const pdp = authority.pdp;
  if (c.pdpDown && !pdp) return result('skipped', '', ['the tester does not run the PDP here']);

  const party = {
    party: authority.party,
    other: authority.otherParty,
    malformed: malformedParty(authority.party),
    fresh: freshParty(),
  }[c.party];
  const url = `${baseUrl}${requestPath(op, party)}`;
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  try {
    if (c.authorization && 'raw' in c.authorization) headers.authorization = c.authorization.raw;
    if (c.authorization && 'token' in c.authorization) {
      headers.authorization = `Bearer ${await authority.token(c.authorization.token, op)}`;
    }
  } catch (err) {
    return result('failed', '', [`could not get the token: ${(err as Error).message}`]);
  }

  const callsBefore = c.beforePdp && pdp ? await pdp.calls() : undefined;
  if (c.pdpDown) await pdp!.setDown(true);
  let res: ResponseUnderTest;
  try {
    const answer = await fetch(url, {
      method: op.method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    res = { status: answer.status, headers: Object.fromEntries(answer.headers), text: await answer.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err as Error).message;
    return result('failed', 'no answer', [`${op.method} ${url}: ${reason}`]);
  } finally {
    if (c.pdpDown) await pdp!.setDown(false);
  }

  const body = parseBody(res);
  const code = (body as { code?: unknown } | undefined)?.code;
  const actual = `${res.status} ${typeof code === 'string' ? code : mediaType(res) || 'no content type'}`;
  const problems = c.refusal ? refusalProblems(c, op, res, body) : [];
  if (!c.refusal && !op.successStatuses.some((s) => s === String(res.status) || s === `${String(res.status)[0]}XX`)) {
    problems.push(
      `expected ${op.successStatuses.join('/') || 'a documented 2xx'}, got ${res.status}${typeof code === 'string' ? ` ${code}` : ''}`,
    );
  }
  const documented = validator.problems(op.method, url, res, { requireAllHeaders: !c.refusal });
  problems.push(...documented.problems.map((p) => (p.startsWith(op.method) ? p : `${p} (per ${documented.where})`)));
  if (callsBefore !== undefined) {
    const calls = (await pdp!.calls()) - callsBefore;
    if (calls > 0) problems.push(`the PDP was asked ${calls} time(s); this refusal must come before any PDP call`);
  }
  return result(problems.length === 0 ? 'passed' : 'failed', actual, problems);
}

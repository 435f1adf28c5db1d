import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDocument } from '../contract/document.js';
import { discoverOperations } from '../contract/operations.js';
import { PDP_PATH } from '../testing/pdp.js';
import { ExplainError, type Explanation, explainToken } from './explain.js';

export const EXPLAIN_USAGE = `portvakt explain [--token-file FILE] [--issuer URL] [--operation opId --party orgno]
                 [--spec openapi.yaml] [--sandbox] [--json]     (the token on stdin unless --token-file)`;

const PACKAGED_SPEC = new URL('../../openapi.yaml', import.meta.url);
/** The sandbox's defaults (`npm start`) and the Maskinporten client its gateway uses as PEP. */
const SANDBOX = {
  maskinporten: process.env.PORTVAKT_SANDBOX_MASKINPORTEN ?? 'http://127.0.0.1:8081/',
  altinn: process.env.PORTVAKT_SANDBOX_ALTINN ?? 'http://127.0.0.1:8082',
  pepClientId: 'skatteetaten-portvakt-pep',
};

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new ExplainError(`paste the token on stdin (or give --token-file)\n${EXPLAIN_USAGE}`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The gateway's environment for the sandbox: its issuer and PDP, and PEP credentials of a key made here
 * and registered with the sandbox's Maskinporten for the gateway's PEP client (its PDP wants a PEP token).
 */
async function sandboxEnv(altinn: string, maskinporten: string): Promise<NodeJS.ProcessEnv> {
  const issuer = maskinporten.endsWith('/') ? maskinporten : `${maskinporten}/`;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `explain-${randomUUID()}`;
  const res = await fetch(new URL(`clients/${SANDBOX.pepClientId}/keys`, issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }),
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  await res?.arrayBuffer();
  if (!res?.ok) throw new ExplainError(`no sandbox Maskinporten at ${issuer} (start it with \`npx portvakt sandbox\`)`);
  return {
    MASKINPORTEN_ISSUER: issuer,
    ALTINN_PDP_URL: `${altinn}${PDP_PATH}`,
    ALTINN_TOKEN_EXCHANGE_URL: `${altinn}/authentication/api/v1/exchange/maskinporten`,
    PEP_CLIENT_ID: SANDBOX.pepClientId,
    PEP_KEY_ID: kid,
    PEP_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const MARK = { pass: '✓', fail: '✗', 'not run': '·' } as const;

/** The explanation in plain words (never the token itself). */
export function formatExplanation(e: Explanation): string {
  const out: string[] = [];
  const row = (label: string, value: unknown) => out.push(`  ${label.padEnd(13)} ${String(value)}`);
  const t = e.token;
  if (!t) out.push('This is not a JWT: a token is three base64url parts (header.payload.signature) of JSON.');
  else {
    out.push('Token');
    row(
      'header',
      `alg ${String(t.header.alg)}, kid ${String(t.header.kid ?? '(none)')}${t.header.typ ? `, typ ${String(t.header.typ)}` : ''}`,
    );
    row('issuer', t.issuer ?? '(none)');
    row('audience', t.audience === undefined ? '(none)' : JSON.stringify(t.audience));
    row('issued', t.issuedAt ?? '(no iat)');
    if (t.notBefore) row('not before', t.notBefore);
    row('expires', `${t.expiresAt ?? '(no exp)'}${t.expired ? ' — EXPIRED' : ''}`);
    row('scopes', t.scopes.length > 0 ? t.scopes.join(' ') : '(none)');
    if (t.systemUser) {
      row('system user', `${t.systemUser.id}, owned by org ${t.systemUser.orgNo}`);
      row('system', t.systemUser.systemId);
      row('kind', t.systemUser.kind);
    } else row('system user', `none: ${t.systemUserProblem}`);
    row('vendor', `${t.consumerOrgNo ?? '(no consumer)'}${t.clientId ? `, client_id ${t.clientId}` : ''}`);
  }
  if (e.keys) {
    out.push('', `Issuer ${e.against.issuer}`);
    if ('error' in e.keys) row('keys', e.keys.error);
    else
      row(
        'keys',
        `${e.keys.kids.length} in ${e.keys.jwksUri}; the token's kid is ${e.keys.kidFound ? '' : 'NOT '}among them`,
      );
  }
  const what = e.against.operation
    ? ` (as the gateway runs them for ${e.against.operation}, party ${e.against.party}, PDP ${e.against.pdpUrl})`
    : '';
  out.push('', `Checks${what}`);
  for (const c of e.checks) out.push(`  ${MARK[c.outcome]} ${c.check.padEnd(12)} ${c.detail}`);
  if (e.pdp) {
    out.push(
      '',
      `XACML request sent to ${e.pdp.url}`,
      ...JSON.stringify(e.pdp.request, null, 2)
        .split('\n')
        .map((l) => `  ${l}`),
    );
    out.push(
      e.pdp.error
        ? `PDP answer: none (${e.pdp.error})`
        : `PDP answer: HTTP ${e.pdp.status} ${JSON.stringify(e.pdp.response)}`,
    );
  }
  out.push(
    '',
    e.refusal
      ? `Refused at "${e.refusal.check}": the gateway answers ${e.refusal.status} ${e.refusal.code} — ${e.refusal.detail}`
      : e.against.operation
        ? 'Passes: the gateway would let this request through.'
        : 'Passes every check that was run.',
  );
  return `${out.join('\n')}\n`;
}

/** `portvakt explain`: resolves to the exit code (0 when the token would pass, 1 when it is refused). */
export async function explainCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'token-file': { type: 'string' },
      issuer: { type: 'string' },
      operation: { type: 'string' },
      party: { type: 'string' },
      spec: { type: 'string' },
      sandbox: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const token = values['token-file'] ? readFileSync(values['token-file'], 'utf8') : await readStdin();
  if (token.trim() === '') throw new ExplainError('no token given');
  let operation: Parameters<typeof explainToken>[0]['operation'];
  if (values.operation) {
    const spec = values.spec ?? (existsSync('openapi.yaml') ? 'openapi.yaml' : PACKAGED_SPEC);
    const found = discoverOperations(await loadDocument(spec)).find((op) => op.operationId === values.operation);
    if (!found) throw new ExplainError(`no secured operation ${values.operation} in ${String(spec)}`);
    operation = found;
  }
  const env = values.sandbox ? await sandboxEnv(SANDBOX.altinn, values.issuer ?? SANDBOX.maskinporten) : process.env;
  const explanation = await explainToken({
    token,
    issuer: values.issuer ?? (values.sandbox && !operation ? env.MASKINPORTEN_ISSUER : undefined),
    operation,
    party: values.party,
    env,
  });
  process.stdout.write(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
  return explanation.passes ? 0 : 1;
}

import { expect } from 'vitest';
import { headersOf, rawRequest } from '../faults/helpers.js';
import { API, type GatewayWorld, useGatewayWorld as useSharedGatewayWorld } from '../helpers/gateway-world.js';

export { API };
export const RORVANN = '310478717';
/** No single bad request may hold the client longer than this. */
export const BOUND_MS = 3000;

/** One contract-checked gateway per file, reset between tests, Rør og Vann permitted. */
export const useGatewayWorld = () => useSharedGatewayWorld([RORVANN]);

/** A refusal: a 4xx problem+json with a stable code (the contract check already ran on it). */
export function expect4xxProblem(res: { status: number; headers: Record<string, unknown>; body?: unknown }, what = '') {
  const body = res.body as { code?: unknown; status?: unknown } | undefined;
  expect(res.status, `${what}: ${res.status} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${res.status} ${JSON.stringify(body)}`).toBeLessThan(500);
  expect(String(res.headers['content-type']), what).toMatch(/^application\/problem\+json/);
  expect(body?.status, what).toBe(res.status);
  expect(typeof body?.code, what).toBe('string');
}

/**
 * Sends exact bytes (no client normalization of the path, no header validation). When the gateway
 * answers, the answer is checked against openapi.yaml like any other; when Node's HTTP parser refuses
 * the bytes before the gateway sees them, the answer is Node's bare 400/431, which is fine (docs/security.md, bad input).
 */
export async function sendRaw(world: GatewayWorld, method: string, target: string, headers: string[]) {
  const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers, '', ''].join(
    '\r\n',
  );
  const raw = await rawRequest(world.gateway.port, Buffer.from(head, 'latin1'), BOUND_MS);
  const responseHeaders = headersOf(raw.head);
  const byGateway = responseHeaders['x-request-id'] !== undefined;
  if (byGateway) {
    // WHATWG URL parsing (in the checker) would read an encoded dot segment as `..`; the gateway's router does not.
    const routed = target.replace(/%2e/gi, '%252e');
    world.contract.check(method, routed, { status: raw.status, headers: responseHeaders, text: raw.body });
  }
  const body = byGateway && raw.body ? (JSON.parse(raw.body) as unknown) : undefined;
  return { status: raw.status, headers: responseHeaders, body, byGateway };
}

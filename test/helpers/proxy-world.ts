import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_SPEC } from '../../src/gateway/server.js';
import {
  API,
  type GatewayWorld,
  type GatewayWorldOptions,
  resetGatewayWorld,
  startGatewayWorld,
} from './gateway-world.js';

/**
 * An operation forwarded to `upstream` after authorization, as a deployment adds one to openapi.yaml
 * (`x-portvakt-upstream`, no code change). `extra` adds or replaces fields (parameters, requestBody, …).
 */
export function proxiedOperation(operationId: string, upstream: string, extra: Record<string, unknown> = {}) {
  return {
    operationId,
    tags: ['Krav og betalinger'],
    summary: `Proxied ${operationId}`,
    description: 'Forwarded to an upstream after authorization.',
    'x-altinn-resource': 'ske-krav-og-betalinger',
    'x-altinn-action': 'read',
    'x-portvakt-upstream': upstream,
    security: [{ maskinporten: ['skatteetaten:kravogbetalinger'] }],
    ...extra,
    responses: {
      200: {
        description: 'What the upstream answered.',
        headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
        content: { 'application/json': { schema: { type: 'object', required: ['proxied'] } } },
      },
      400: { $ref: '#/components/responses/BadRequest' },
      401: { $ref: '#/components/responses/Unauthorized' },
      403: { $ref: '#/components/responses/Forbidden' },
      502: { $ref: '#/components/responses/BadGateway' },
      503: { $ref: '#/components/responses/ServiceUnavailable' },
      504: { $ref: '#/components/responses/GatewayTimeout' },
    },
  };
}

/** Operations by method (`get`, `post`, …), for each path under `${API}/{partIdentifikator}/`. */
export type ProxiedPaths = Record<string, Record<string, ReturnType<typeof proxiedOperation>>>;

/** A test upstream the proxy world closes with itself; what it has been sent (`seen`) is emptied on reset. */
export interface ProxyUpstream {
  seen?: unknown[];
  close(): Promise<void>;
}

export interface ProxyWorldOptions extends GatewayWorldOptions {
  upstream?: ProxyUpstream;
}

export type ProxyWorld = GatewayWorld & {
  /** Before a test: the upstream's record emptied, and `resetGatewayWorld(world, permitted)`. */
  reset(permitted: string[]): void;
};

/**
 * The real gateway on a copy of openapi.yaml with `paths` added (each taking the party from the path),
 * written to a temporary directory; closing the world closes `upstream` and removes the directory.
 */
export async function startProxyWorld(
  paths: ProxiedPaths,
  { upstream, ...options }: ProxyWorldOptions = {},
): Promise<ProxyWorld> {
  const doc = parse(readFileSync(DEFAULT_SPEC, 'utf8')) as Record<string, Record<string, unknown>>;
  for (const [name, operations] of Object.entries(paths)) {
    doc.paths![`${API}/{partIdentifikator}/${name}`] = {
      parameters: [{ $ref: '#/components/parameters/PartIdentifikator' }],
      ...operations,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'portvakt-proxy-'));
  const specFile = join(dir, 'openapi.yaml');
  writeFileSync(specFile, stringify(doc));
  const world = await startGatewayWorld({ ...options, gateway: { ...options.gateway, specFile } });
  return {
    ...world,
    reset(permitted) {
      if (upstream?.seen) upstream.seen.length = 0;
      resetGatewayWorld(world, permitted);
    },
    async close() {
      await world.close();
      await upstream?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

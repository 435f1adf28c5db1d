import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_SPEC } from '../../src/gateway/server.js';
import { contractTest, formatTable } from '../../src/testing/index.js';
import { type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';

describe("Portvakt's own gateway", () => {
  let world: GatewayWorld;
  beforeAll(async () => {
    world = await startGatewayWorld();
  });
  afterAll(() => world.close());

  it('passes every case for the three operations, every answer valid against openapi.yaml', async () => {
    const report = await contractTest({
      spec: DEFAULT_SPEC,
      baseUrl: world.gateway.url,
      issuer: world.issuer,
      pdp: world.pdp,
    });
    expect(report.failed, formatTable(report)).toBe(0);
    expect(report.skipped).toBe(0);
    expect(new Set(report.results.map((r) => r.operationId))).toEqual(
      new Set(['hentAapneKrav', 'hentKrav', 'hentInnbetalinger']),
    );
    expect(report.passed).toBe(30);
  });

  it('--only picks operations; an unknown one is an error, not an empty pass', async () => {
    const report = await contractTest({
      spec: DEFAULT_SPEC,
      baseUrl: world.gateway.url,
      issuer: world.issuer,
      pdp: world.pdp,
      only: ['hentKrav'],
    });
    expect(new Set(report.results.map((r) => r.operationId))).toEqual(new Set(['hentKrav']));
    await expect(
      contractTest({
        spec: DEFAULT_SPEC,
        baseUrl: world.gateway.url,
        issuer: world.issuer,
        pdp: world.pdp,
        only: ['hentNoe'],
      }),
    ).rejects.toThrow(/hentNoe/);
  });
});

describe('the gateway in proxy mode before a backend whose body misses a required field', () => {
  let world: GatewayWorld;
  let backend: http.Server;
  let dir: string;
  beforeAll(async () => {
    backend = http.createServer((req, res) => {
      const party = /\/v1\/(\d+)\//.exec(req.url ?? '')?.[1];
      res.writeHead(200, { 'content-type': 'application/json' });
      // totalOversikt is missing.
      res.end(
        JSON.stringify({
          partIdentifikator: party,
          aapentKravMedGjenstaaendeBeloep: [],
          innbetalingMedUplassertBeloep: [],
          oversiktPerKravgruppe: [],
        }),
      );
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const document = parse(readFileSync(DEFAULT_SPEC, 'utf8'));
    document.paths['/api/innkreving/kravogbetalinger/v1/{partIdentifikator}/aapnekrav'].get['x-portvakt-upstream'] =
      `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'portvakt-contract-'));
    writeFileSync(join(dir, 'openapi.yaml'), stringify(document));
    world = await startGatewayWorld({ gateway: { specFile: join(dir, 'openapi.yaml') } });
  });
  afterAll(async () => {
    await world.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the permitted case, naming the operation, the case and the missing field', async () => {
    const report = await contractTest({
      spec: join(dir, 'openapi.yaml'),
      baseUrl: world.gateway.url,
      issuer: world.issuer,
      pdp: world.pdp,
      only: ['hentAapneKrav'],
    });
    const failed = report.results.filter((r) => r.outcome === 'failed');
    expect(failed.map((r) => r.case)).toEqual(['permitted']);
    expect(failed[0]!.message).toMatch(
      /^hentAapneKrav › permitted .*body: .*must have required property 'totalOversikt'/,
    );
    expect(report.ok).toBe(false);
  });
});

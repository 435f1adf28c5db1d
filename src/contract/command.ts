import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { isObject } from './document.js';
import { ContractTestError } from './error.js';
import type { ContractData } from './operations.js';
import { formatTable, toJUnitXml } from './report.js';
import { contractTest } from './run.js';
import { type SandboxUrls, sandboxRunsAt, startSandboxProcess } from './sandbox-process.js';

export const CONTRACT_TEST_USAGE = `portvakt contract-test [--spec openapi.yaml] [--base-url URL | --sandbox] [--junit FILE]
                       [--only opId,…] [--data FILE] [--maskinporten URL] [--altinn URL]`;

/** The openapi.yaml that ships with Portvakt (the sandbox gateway's). */
const PACKAGED_SPEC = new URL('../../openapi.yaml', import.meta.url);
const SANDBOX_DEFAULTS: SandboxUrls = {
  gatewayUrl: 'http://127.0.0.1:8080',
  maskinportenUrl: process.env.PORTVAKT_SANDBOX_MASKINPORTEN ?? 'http://127.0.0.1:8081/',
  altinnUrl: 'http://127.0.0.1:8082',
};

function readData(file: string): ContractData {
  const data = parse(readFileSync(file, 'utf8')) as unknown;
  if (!isObject(data)) throw new ContractTestError(`--data ${file}: not an object`);
  return data as ContractData;
}

/**
 * `portvakt contract-test`: prints the table, writes JUnit XML with `--junit`, and resolves to the exit
 * code (1 when any case failed).
 */
export async function contractTestCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      spec: { type: 'string' },
      'base-url': { type: 'string' },
      sandbox: { type: 'boolean', default: false },
      junit: { type: 'string' },
      only: { type: 'string' },
      data: { type: 'string' },
      maskinporten: { type: 'string' },
      altinn: { type: 'string' },
    },
  });
  const baseUrl = values['base-url'];
  if (!values.sandbox && !baseUrl) {
    throw new ContractTestError(
      `give --sandbox, or --base-url of a target that trusts a running sandbox\n${CONTRACT_TEST_USAGE}`,
    );
  }
  let spec: string | URL | undefined = values.spec;
  if (spec === undefined) {
    if (!baseUrl) spec = PACKAGED_SPEC;
    else if (existsSync('openapi.yaml')) spec = 'openapi.yaml';
    else throw new ContractTestError("no openapi.yaml here: give the target's document with --spec");
  }
  const wanted: SandboxUrls = {
    gatewayUrl: baseUrl ?? SANDBOX_DEFAULTS.gatewayUrl,
    maskinportenUrl: values.maskinporten ?? SANDBOX_DEFAULTS.maskinportenUrl,
    altinnUrl: values.altinn ?? SANDBOX_DEFAULTS.altinnUrl,
  };
  let started: Awaited<ReturnType<typeof startSandboxProcess>> | undefined;
  let urls = wanted;
  // A target of its own must trust a sandbox that is already running; the sandbox's gateway can be started here.
  if (!(await sandboxRunsAt(wanted, { gateway: !baseUrl }))) {
    if (baseUrl || values.maskinporten || values.altinn) {
      throw new ContractTestError(
        `no sandbox answers at ${wanted.maskinportenUrl} and ${wanted.altinnUrl}${baseUrl ? '' : ` with its gateway at ${wanted.gatewayUrl}`} (start it with \`npx portvakt sandbox\`)`,
      );
    }
    process.stderr.write('portvakt contract-test: no sandbox running; starting one on free ports\n');
    started = await startSandboxProcess();
    urls = started;
  }
  try {
    const report = await contractTest({
      spec,
      baseUrl: urls.gatewayUrl,
      sandbox: { maskinportenUrl: urls.maskinportenUrl, altinnUrl: urls.altinnUrl },
      ...(values.data ? { data: readData(values.data) } : {}),
      ...(values.only
        ? {
            only: values.only
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : {}),
    });
    process.stdout.write(formatTable(report));
    if (values.junit) {
      writeFileSync(values.junit, toJUnitXml(report));
      process.stdout.write(`JUnit XML written to ${values.junit}\n`);
    }
    return report.ok ? 0 : 1;
  } finally {
    await started?.stop();
  }
}

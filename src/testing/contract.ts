import type { ContractReport, ContractTestOptions } from '../contract/run.js';

/**
 * Drives every secured operation of an OpenAPI document through the authorization matrix and validates every
 * answer against the document (docs/contract-testing.md). The tester's own packages (yaml, ajv, ajv-formats)
 * are loaded on the first call, so importing `portvakt/testing` loads none of them.
 */
export async function contractTest(options: ContractTestOptions): Promise<ContractReport> {
  const { contractTest: run } = await import('../contract/run.js');
  return run(options);
}

/** A contract test that could not run (bad options, unreadable document, unreachable target). */
export class ContractTestError extends Error {
  override name = 'ContractTestError';
}

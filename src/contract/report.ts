import type { ContractCaseResult, ContractReport } from './run.js';

const MARK = { passed: 'pass', failed: 'FAIL', skipped: 'skip' } as const;

/**
 * The report as a table per operation and case, then one line per failure naming the operation, the
 * case and what differed, then the totals.
 */
export function formatTable(report: ContractReport): string {
  const rows = report.results.map((r) => [r.operationId, r.case, r.expected, r.actual || '-', MARK[r.outcome]]);
  const header = ['OPERATION', 'CASE', 'EXPECTED', 'GOT', 'RESULT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`portvakt contract-test: ${report.baseUrl}, tokens and decisions from the ${report.authority}`, ''];
  out.push(line(header));
  let previous = '';
  for (const [i, row] of rows.entries()) {
    const operation = report.results[i]!.operationId;
    out.push(line([operation === previous ? '' : row[0]!, ...row.slice(1)]));
    previous = operation;
  }
  const failures = report.results.filter((r) => r.outcome === 'failed');
  if (failures.length > 0) out.push('', 'Failures:', ...failures.map((r) => `  ${r.message}`));
  const skipped = report.results.filter((r) => r.outcome === 'skipped');
  if (skipped.length > 0) out.push('', 'Skipped:', ...skipped.map((r) => `  ${r.message}`));
  out.push(
    '',
    `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return `${out.join('\n')}\n`;
}

const escapeXml = (text: string) =>
  text
    // Characters XML 1.0 cannot carry at all, even escaped.
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testCase(r: ContractCaseResult): string {
  const open = `    <testcase classname="${escapeXml(r.operationId)}" name="${escapeXml(`${r.case}: ${r.description}`)}" time="${seconds(r.durationMs)}"`;
  if (r.outcome === 'passed') return `${open}/>`;
  const details = escapeXml([`expected: ${r.expected}`, `got: ${r.actual || '-'}`, ...r.problems].join('\n'));
  const inner =
    r.outcome === 'failed'
      ? `<failure message="${escapeXml(r.message ?? '')}" type="ContractViolation">${details}</failure>`
      : `<skipped message="${escapeXml(r.message ?? '')}"/>`;
  return `${open}>\n      ${inner}\n    </testcase>`;
}

/** The report as JUnit XML (one testsuite per operation, one testcase per case), as CI servers read it. */
export function toJUnitXml(report: ContractReport): string {
  const suites = new Map<string, ContractCaseResult[]>();
  for (const r of report.results) suites.set(r.operationId, [...(suites.get(r.operationId) ?? []), r]);
  const count = (results: ContractCaseResult[], outcome: string) => results.filter((r) => r.outcome === outcome).length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="portvakt contract-test" tests="${report.results.length}" failures="${report.failed}" errors="0" skipped="${report.skipped}" time="${seconds(report.durationMs)}">`,
  ];
  for (const [operationId, results] of suites) {
    const first = results[0]!;
    const time = results.reduce((sum, r) => sum + r.durationMs, 0);
    out.push(
      `  <testsuite name="${escapeXml(`${operationId} (${first.method} ${first.path})`)}" tests="${results.length}" failures="${count(results, 'failed')}" errors="0" skipped="${count(results, 'skipped')}" time="${seconds(time)}">`,
      ...results.map(testCase),
      '  </testsuite>',
    );
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

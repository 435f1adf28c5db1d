import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe("the gateway's log on stdout", () => {
  it('holds every line, in order, including those written just before the process exits', {
    timeout: 30_000,
  }, async () => {
    // Lines are written once per turn of the event loop; `process.exit` in the same turn must not lose them.
    const script = `
      const { createLogger } = await import('./src/log.ts');
      const logger = createLogger('info');
      logger.info('first');
      setImmediate(() => {
        logger.info('second');
        logger.warn({ n: 3 }, 'third');
        process.exit(7);
      });`;
    const result = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]).then(
      () => {
        throw new Error('the script should exit with 7');
      },
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(7);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toEqual(['first', 'second', 'third']);
  });
});

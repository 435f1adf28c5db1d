import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './gateway/config.js';

const USAGE = `Usage:
  portvakt serve [--quiet]           the gateway, configured by environment (docs/configuration.md)
  portvakt sandbox [--quiet]         the whole system-user world on this machine (npm start)
  portvakt prepare [--quiet]         build the embedded claims database's cached images (npm ci runs it)
  portvakt token --org <orgno> [--scope <scope>] [--external-ref <ref>]
                                     a sandbox system-user token on stdout
  portvakt token --scope <scopes>    the vendor's own sandbox token (Altinn's vendor APIs, Digdir's /clients)
  portvakt contract-test [--spec openapi.yaml] [--base-url URL | --sandbox] [--junit FILE] [--only opId,…]
                                     drive every secured operation through the authorization matrix
  portvakt explain [--token-file FILE] [--issuer URL] [--operation opId --party orgno] [--json]
                                     what a token (on stdin) is and the first check that refuses it`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Stop accepting on SIGTERM/SIGINT, let in-flight requests finish, exit 0. */
function onShutdown(close: () => Promise<void>) {
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Start-up progress, one line per stage on stderr (stdout carries the JSON log); `--quiet` drops them. */
function progressPrinter(command: string, quiet: boolean) {
  return quiet
    ? undefined
    : (_stage: string, message: string) => process.stderr.write(`portvakt ${command}: ${message}\n`);
}

async function serve(args: string[]) {
  const { values } = parseArgs({ args, options: { quiet: { type: 'boolean', default: false } } });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(`portvakt serve: invalid configuration: ${err.message}`);
    throw err;
  }
  // After the configuration is checked: a bad one is a single line, and nothing else.
  if (!values.quiet) process.stderr.write('portvakt serve: starting\n');
  const { startGateway } = await import('./gateway/server.js');
  const gateway = await startGateway(config, { onProgress: progressPrinter('serve', values.quiet) });
  onShutdown(gateway.close);
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'prepare': {
      const { values } = parseArgs({ args: rest, options: { quiet: { type: 'boolean', default: false } } });
      const { prepareEmbeddedImages } = await import('./claims/embedded-image.js');
      const files = await prepareEmbeddedImages();
      if (!values.quiet)
        process.stderr.write(`portvakt prepare: embedded claims database ready in ${files.join(', ')}\n`);
      return;
    }
    case 'sandbox': {
      // Before the sandbox's modules load (a second on a busy machine), so `npm start` answers at once.
      if (!rest.includes('--quiet')) process.stdout.write('portvakt sandbox: starting\n');
      const { runSandbox } = await import('./sandbox/run.js');
      const sandbox = await runSandbox(rest);
      return onShutdown(sandbox.close);
    }
    case 'token': {
      const { tokenCommand } = await import('./sandbox/token-command.js');
      return tokenCommand(rest);
    }
    case 'contract-test': {
      const { contractTestCommand } = await import('./contract/command.js');
      process.exitCode = await contractTestCommand(rest);
      return;
    }
    case 'explain': {
      const { explainCommand } = await import('./explain/command.js');
      process.exitCode = await explainCommand(rest);
      return;
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      fail(`portvakt: unknown command "${command}"\n${USAGE}`);
  }
}

/**
 * The gateway's and the sandbox's packages are optional peers of the library: `npm install portvakt` alone does
 * not bring them. Name them all rather than the first one missing.
 */
function missingPackageHint(err: unknown): string {
  if ((err as { code?: unknown })?.code !== 'ERR_MODULE_NOT_FOUND') return '';
  const { peerDependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  return `\nThe gateway and the sandbox need packages the library does not install. Install them next to portvakt:\n  npm install ${Object.keys(peerDependencies).join(' ')}`;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(`portvakt: ${err instanceof Error ? err.message : String(err)}${missingPackageHint(err)}`);
});

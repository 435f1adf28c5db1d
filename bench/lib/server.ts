import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { FromServer, ToServer } from './shared.js';

type Handler = (payload: unknown) => unknown | Promise<unknown>;

/** Reads a required variable the bench passed to this scenario server. */
export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench scenario: ${name} is not set`);
  return value;
}

/**
 * Runs a scenario server: listens on a loopback port, tells the bench which, and answers its requests
 * (`stats`, `fill`, …) over the IPC channel, so the app under test has no extra routes.
 */
export async function serveScenario(app: Express, handlers: Record<string, Handler> = {}): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  announce(server.address() as AddressInfo, handlers);
}

/** For servers started elsewhere (the gateway): only the IPC side. */
export function announce(address: Pick<AddressInfo, 'port'>, handlers: Record<string, Handler> = {}): void {
  const send = (message: FromServer) => process.send?.(message);
  const all: Record<string, Handler> = {
    exit: () => setImmediate(() => process.exit(0)),
    cpu: () => process.cpuUsage(),
    ...handlers,
  };
  process.on('message', async (message: ToServer) => {
    const handler = all[message.type];
    try {
      if (!handler) throw new Error(`unknown request ${message.type}`);
      send({ id: message.id, result: await handler(message.payload) });
    } catch (err) {
      send({ id: message.id, error: String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: address.port });
}

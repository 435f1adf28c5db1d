import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One PDP exchange as it went over the wire (the PEP's token is not kept). */
export interface PdpExchange {
  url: string;
  request: unknown;
  status?: number;
  response?: unknown;
  /** When the PDP could not be reached. */
  error?: string;
}

const FORWARDED = ['content-type', 'accept', 'authorization', 'ocp-apim-subscription-key'];
const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * A loopback relay in front of the PDP: the pipeline calls it as it would call the PDP, and it keeps
 * what was asked and answered, so `explain` can show the XACML request the gateway sends.
 */
export async function startPdpRecorder(target: string, timeoutMs: number) {
  const exchanges: PdpExchange[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const exchange: PdpExchange = { url: target, request: parse(body) };
      exchanges.push(exchange);
      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      try {
        const answer = await fetch(target, {
          method: req.method ?? 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await answer.text();
        exchange.status = answer.status;
        exchange.response = parse(text);
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch (err) {
        exchange.error = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

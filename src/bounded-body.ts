/** An answer from a service we call (PDP, issuer) that is larger than we are willing to hold in memory. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`The answer is larger than ${maxBytes} bytes.`);
  }
}

/**
 * Reads a fetch answer's body as text, but never more than `maxBytes`: a declared Content-Length over
 * the cap is refused before reading, and a body without one is counted as it streams and cancelled as
 * soon as it goes over. `response.text()` would buffer whatever the other side sends, which is how a
 * misbehaving PDP answering 50 MB bodies takes a gateway's memory.
 */
export async function readBoundedText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(maxBytes);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  // As `response.text()` decodes: UTF-8, a leading BOM dropped.
  return new TextDecoder().decode(Buffer.concat(chunks, total));
}

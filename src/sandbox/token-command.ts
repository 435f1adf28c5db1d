/**
 * `portvakt token`: until the sandbox has its own Maskinporten with the JWT-bearer grant, tokens are
 * printed by `npm start` itself. Say so instead of pretending.
 */
export async function tokenCommand(_values: { org?: string | undefined; scope?: string | undefined }): Promise<void> {
  process.stderr.write('portvakt token: not available yet — `npm start` prints ready-to-use tokens.\n');
  process.exit(1);
}

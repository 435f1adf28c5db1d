export async function explainCommand(_args: string[]): Promise<number> { return 1; }

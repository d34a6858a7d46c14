export async function demoCommand(_argv: string[], _io: unknown): Promise<number> { throw new Error('not yet'); }

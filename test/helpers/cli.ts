import { main } from '../../src/cli';

/** Runs `selfheal ARGS` in-process with captured output. */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = process.env.SELFHEAL_API_TOKEN;
  if (env.SELFHEAL_API_TOKEN !== undefined) process.env.SELFHEAL_API_TOKEN = env.SELFHEAL_API_TOKEN;
  else delete process.env.SELFHEAL_API_TOKEN;
  try {
    const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
    return { code, out, err };
  } finally {
    if (saved === undefined) delete process.env.SELFHEAL_API_TOKEN;
    else process.env.SELFHEAL_API_TOKEN = saved;
  }
}

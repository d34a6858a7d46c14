import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';

/** A config rooted in a temp dir, with the guide's layout below it. */
export function configIn(root: string, extra: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      data_dir: join(root, 'data'),
      log_dir: join(root, 'logs'),
      models_dir: join(root, 'models'),
      database_path: join(root, 'db', 'quantum_trader.db'),
      ...extra,
    },
    root,
  );
}

// Builds a platform of N file-based subsystems (the 13 built-ins, plus N - 13 state files of our own).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load';
import type { Config } from '../src/config/types';
import { BUILTIN_SUBSYSTEMS } from '../src/types';
import { healthyPlatform } from '../test/helpers/platform';

export function benchPlatform(n: number, extra: Record<string, unknown> = {}): { root: string; config: Config } {
  const root = mkdtempSync(join(tmpdir(), `selfheal-bench-${n}-`));
  const data = join(root, 'data');
  for (const d of ['data', 'logs', 'models', 'db']) mkdirSync(join(root, d), { recursive: true });
  healthyPlatform(root, Date.now());
  const subsystems: Record<string, unknown> = {};
  mkdirSync(join(data, 'extra'));
  for (let i = 0; i < n - BUILTIN_SUBSYSTEMS.length; i++) {
    const f = `extra/svc_${i}.json`;
    writeFileSync(join(data, f), '{}');
    subsystems[`svc_${i}`] = { check: 'file_freshness', path: f, critical_for_trading: 'partial' };
  }
  const config = parseConfig(
    // No hold-down: the served policy is the evaluated one from the first cycle, as the naive exporter's (one-shot
    // cycles) is, so both serve the same series (selfheal_safety_policy_restricted is absent under allow_all).
    {
      data_dir: 'data',
      log_dir: 'logs',
      models_dir: 'models',
      database_path: 'db/quantum_trader.db',
      policy: { hold_down_sec: 0 },
      subsystems,
      ...extra,
    },
    root,
  );
  return { root, config };
}

// `npm run generate` writes grafana/dashboards/*.json; a test checks the committed files match.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../../src/deploy/rules_config';
import { fleet } from './fleet';
import { overview } from './overview';
import { recovery } from './recovery';
import { subsystem } from './subsystem';

/** Every dashboard; the thresholds they draw are the rules pack's (`rules`). */
export function dashboards(rules: RulesConfig = DEFAULT_RULES_CONFIG): Record<string, unknown> {
  return {
    'selfheal-overview.json': overview(rules),
    'selfheal-subsystem.json': subsystem(),
    'selfheal-recovery.json': recovery(),
    'selfheal-fleet.json': fleet(),
  };
}

export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(Object.entries(dashboards()).map(([name, d]) => [name, JSON.stringify(d, null, 2) + '\n']));
}

if (require.main === module) {
  const dir = join(__dirname, '..', '..', '..', 'grafana', 'dashboards');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(renderDashboards())) {
    writeFileSync(join(dir, name), text);
    console.log(`wrote grafana/dashboards/${name}`);
  }
}

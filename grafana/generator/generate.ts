// `npm run generate` writes grafana/dashboards/*.json; a test checks the committed files match.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fleet } from './fleet';
import { overview } from './overview';
import { recovery } from './recovery';
import { subsystem } from './subsystem';

export function dashboards(): Record<string, unknown> {
  return {
    'selfheal-overview.json': overview(),
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

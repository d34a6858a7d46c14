// `selfheal generate fleet --inventory FILE --out DIR`: the fleet's Alertmanager and Prometheus files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXAMPLE } from '../deploy/alertmanager';
import { fleetFiles } from '../deploy/fleet';
import { EXIT, UsageError, checkUrl } from './http';
import { guard, required, withUsage, type Io } from './common';
import { loadInventory } from './inventory';

export const GENERATE_USAGE = `Usage:
  selfheal generate fleet --inventory FILE --out DIR [--token-file PATH] [--pager-url URL] [--deadmans-switch-url URL]
    writes alertmanager.yml (Alertmanager >= 0.28), alertmanager-0.25.yml (0.25-0.27), targets.json (Prometheus file_sd)
    and README.md into DIR. --token-file is the webhook credential's path as Alertmanager sees it
    (default ${EXAMPLE.tokenFile}).
Exit: 0 written, 3 usage or a bad inventory (the message names the entry)
`;

/** `selfheal generate fleet`; returns the exit code. */
export async function generateCommand(argv: string[], io: Io): Promise<number> {
  return withUsage(io, GENERATE_USAGE, async () => {
    const { values, positionals } = guard(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          inventory: { type: 'string' },
          out: { type: 'string' },
          'token-file': { type: 'string' },
          'pager-url': { type: 'string' },
          'deadmans-switch-url': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    );
    if (values.help) {
      io.out(GENERATE_USAGE);
      return EXIT.ok;
    }
    if (positionals[0] !== 'fleet' || positionals.length > 1)
      throw new UsageError(positionals.length ? `unknown generate target "${positionals.join(' ')}" (fleet)` : 'generate: what? (fleet)');
    const instances = loadInventory(required(values.inventory, 'inventory'));
    const out = required(values.out, 'out');
    const files = fleetFiles(instances, {
      tokenFile: values['token-file'] ?? EXAMPLE.tokenFile,
      pagerUrl: values['pager-url'] !== undefined ? checkUrl(values['pager-url'], '--pager-url') : EXAMPLE.pagerUrl,
      deadmansSwitchUrl:
        values['deadmans-switch-url'] !== undefined
          ? checkUrl(values['deadmans-switch-url'], '--deadmans-switch-url')
          : EXAMPLE.deadmansSwitchUrl,
    });
    mkdirSync(out, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(out, name), text);
      io.out(`wrote ${join(out, name)}\n`);
    }
    io.out(`${instances.length} instance(s)\n`);
    return EXIT.ok;
  });
}

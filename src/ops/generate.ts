// `selfheal generate fleet --inventory FILE --out DIR`: the fleet's Alertmanager and Prometheus files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXAMPLE } from '../deploy/alertmanager';
import { fleetFiles } from '../deploy/fleet';
import { EXIT, UsageError, checkUrl } from './http';
import { guard, required, withUsage, type Io } from './common';
import type { CommandHelp, Help } from './help';
import { loadInventory } from './inventory';

/** The options `selfheal generate` parses (every one appears in a help text: test/ops/help.test.ts). */
export const GENERATE_OPTIONS = {
  inventory: { type: 'string' },
  out: { type: 'string' },
  'token-file': { type: 'string' },
  'pager-url': { type: 'string' },
  'deadmans-switch-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FLEET_GENERATE: Help = {
  command: 'generate fleet',
  summary:
    'Writes alertmanager.yml (Alertmanager >= 0.28), alertmanager-0.25.yml (0.25 to 0.27), targets.json (Prometheus file_sd) and README.md into DIR.',
  usage: ['generate fleet --inventory FILE --out DIR [--token-file PATH] [--pager-url URL] [--deadmans-switch-url URL]'],
  flags: [
    ['--inventory FILE', 'the instances (required)'],
    ['--out DIR', 'where to write (required; created if missing)'],
    ['--token-file PATH', `the webhook credential's path as Alertmanager sees it (default ${EXAMPLE.tokenFile})`],
    ['--pager-url URL', 'where critical alerts page (default: a placeholder to replace)'],
    ['--deadmans-switch-url URL', 'where the always-firing Watchdog alert goes (default: a placeholder to replace)'],
  ],
  examples: ['generate fleet --inventory fleet.yml --out fleet/ --pager-url https://pager.example/hook'],
  notes: ['Exit: 0 written, 3 usage or a bad inventory (the message names the entry)'],
};

/** `selfheal generate` and its subcommands' help. */
export const GENERATE_HELP: CommandHelp = {
  help: { ...FLEET_GENERATE, command: 'generate', summary: "Generates configuration files. Today: the fleet's (generate fleet)." },
  subcommands: [FLEET_GENERATE],
};

/** `selfheal generate fleet`; returns the exit code. */
export async function generateCommand(argv: string[], io: Io): Promise<number> {
  return withUsage(io, GENERATE_HELP, argv, GENERATE_OPTIONS, async () => {
    const { values, positionals } = guard(() => parseArgs({ args: argv, allowPositionals: true, strict: true, options: GENERATE_OPTIONS }));
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

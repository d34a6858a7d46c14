// Help for every command from one declaration each: its usage lines, flags and an example.
// `selfheal COMMAND [SUBCOMMAND...] --help` prints the most specific entry; the CLI's command table
// (src/cli.ts) lists every command with its help, and test/ops/help.test.ts walks that table.

/** One command's or subcommand's help. */
export interface Help {
  /** The words after `selfheal`, e.g. `policy override`. */
  readonly command: string;
  /** One line: what it does. */
  readonly summary: string;
  /** Synopsis lines, each without the leading `selfheal `. */
  readonly usage: readonly string[];
  /** `[flag, meaning]` rows (`-h, --help` is added to every list). */
  readonly flags: readonly (readonly [string, string])[];
  /** Example command lines, each without the leading `selfheal `. */
  readonly examples: readonly string[];
  /** Exit codes and anything else worth a line. */
  readonly notes?: readonly string[];
}

/** A top-level command: its own help and its subcommands' (nested ones by their full words). */
export interface CommandHelp {
  readonly help: Help;
  readonly subcommands: readonly Help[];
}

const HELP_FLAG = ['-h, --help', 'this text'] as const;

/** The flags every operator command takes (policy, recovery). */
export const OPERATOR_FLAGS: readonly (readonly [string, string])[] = [
  ['--url URL', 'the selfheal service (default http://127.0.0.1:8477)'],
  ['--token-file FILE', 'the operator token (api.token); else env SELFHEAL_API_TOKEN'],
  ['--timeout DURATION', 'give up after this long (default 5s)'],
  ['--json', "print the service's JSON as is"],
];

/** The exit codes of the operator commands. */
export const OPERATOR_EXIT = 'Exit: 0 done, 1 refused by the service (4xx, its message shown), 2 unreachable or 5xx, 3 usage';

function rows(flags: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...flags.map(([f]) => f.length));
  return flags.map(([f, text]) => `  ${f.padEnd(width)}  ${text}`);
}

/** The text `--help` prints for one entry; a command with subcommands lists them. */
export function formatHelp(h: Help, subcommands: readonly Help[] = []): string {
  const lines = ['Usage:', ...h.usage.map((u) => `  selfheal ${u}`), '', h.summary];
  if (subcommands.length) {
    lines.push('', 'Commands:');
    const width = Math.max(...subcommands.map((s) => s.command.length));
    for (const s of subcommands) lines.push(`  selfheal ${s.command.padEnd(width)}  ${s.summary}`);
    lines.push(`Run "selfheal ${h.command} COMMAND --help" for one command's flags and an example.`);
  }
  lines.push('', 'Flags:', ...rows([...h.flags, HELP_FLAG]));
  lines.push('', h.examples.length > 1 ? 'Examples:' : 'Example:', ...h.examples.map((e) => `  selfheal ${e}`));
  if (h.notes?.length) lines.push('', ...h.notes);
  return lines.join('\n') + '\n';
}

/** The help for the words given after the command (`['override']`, `['maintenance', 'start']`): the most specific match. */
export function helpFor(c: CommandHelp, positionals: readonly string[]): string {
  const top = c.help.command.split(' ').length;
  for (let n = positionals.length; n > 0; n--) {
    const words = [c.help.command, ...positionals.slice(0, n)].join(' ');
    const sub = c.subcommands.find((s) => s.command === words);
    if (sub) {
      const nested = c.subcommands.filter((s) => s.command.startsWith(`${words} `));
      return formatHelp(sub, nested);
    }
  }
  return formatHelp(
    c.help,
    c.subcommands.filter((s) => s.command.split(' ').length === top + 1),
  );
}

/** The words of a command line that are not flags or flag values (to choose which help to show), and whether it asks for help. */
export function scanArgs(
  argv: readonly string[],
  options: Readonly<Record<string, { type: 'string' | 'boolean'; short?: string }>>,
): { words: string[]; help: boolean } {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  const words: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return { words: [...words, ...argv.slice(i + 1)], help };
    if (a === '--help' || a === '-h') help = true;
    else if (!a.startsWith('-')) words.push(a);
    else if (takesValue.has(a)) i++;
  }
  return { words, help };
}

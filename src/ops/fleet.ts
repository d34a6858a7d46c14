// `selfheal fleet policy status|override|reset`: the firm-level kill switch. Fans one operator action
// out to every matching instance of the inventory, concurrently and with a timeout each, and prints
// one row per host; the exit code says whether every host confirmed.
import { mapLimit } from '../util/limit';
import { OVERRIDE_POLICIES, SAFETY_POLICIES } from '../types';
import { EXIT, UsageError, call, resolveToken, tokenSource, type CallResult, type Target } from './http';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, guard, required, table, timeoutMs, tokenHint, withUsage, type Io } from './common';
import type { InventoryEntry } from '../deploy/fleet';
import { loadInventory, matches, parseMatchers } from './inventory';
import { overrideRequest } from './policy';
import type { CommandHelp } from './help';

/** The options `selfheal fleet` parses (every one appears in a help text: test/ops/help.test.ts). */
export const FLEET_OPTIONS = {
  'token-file': COMMON_OPTIONS['token-file'],
  timeout: COMMON_OPTIONS.timeout,
  json: COMMON_OPTIONS.json,
  help: COMMON_OPTIONS.help,
  inventory: { type: 'string' },
  match: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  reason: { type: 'string' },
  policy: { type: 'string' },
  duration: { type: 'string' },
  lift: { type: 'boolean' },
} as const;

const FLEET_FLAGS: readonly (readonly [string, string])[] = [
  ['--inventory FILE', 'the instances (required; see docs/fleet.md)'],
  ['--match label=value', 'only the instances with this label (repeatable; all must match)'],
  ['--token-file FILE', 'the operator token, the same on every host; else env SELFHEAL_API_TOKEN'],
  ['--timeout DURATION', 'per host (default 5s)'],
  ['--concurrency N', 'hosts at once (default 64)'],
  ['--json', 'one object per host'],
];
const FLEET_EXIT =
  'Exit: 0 every matching host confirmed, 1 a host refused or did not confirm, 2 a host unreachable or 5xx, 3 usage or a bad inventory';

/** `selfheal fleet` and its subcommands' help. */
export const FLEET_HELP: CommandHelp = {
  help: {
    command: 'fleet',
    summary: 'Every matching instance of an inventory at once (the firm-level kill switch): a row per host.',
    usage: ['fleet policy status|override|reset --inventory FILE [--match label=value]... [flags]'],
    flags: FLEET_FLAGS,
    examples: ['fleet policy status --inventory fleet.yml'],
    notes: [FLEET_EXIT],
  },
  subcommands: [
    {
      command: 'fleet policy',
      summary: 'The served policy of every matching host: show it, override it, release a latched emergency.',
      usage: ['fleet policy [status|override|reset] --inventory FILE [flags]'],
      flags: FLEET_FLAGS,
      examples: ['fleet policy --inventory fleet.yml --match venue=binance'],
      notes: [FLEET_EXIT],
    },
    {
      command: 'fleet policy status',
      summary: 'The policy each matching host serves (the default).',
      usage: [
        'fleet policy status --inventory FILE [--match label=value]... [flags]',
        'fleet policy --inventory FILE [flags]   (status is the default)',
      ],
      flags: FLEET_FLAGS,
      examples: ['fleet policy status --inventory fleet.yml --match venue=binance'],
      notes: [FLEET_EXIT],
    },
    {
      command: 'fleet policy override',
      summary: 'Impose a stricter policy on every matching host for a time (confirmed per host), or lift it.',
      usage: [
        'fleet policy override --inventory FILE [--match ...] --policy P --duration DURATION --reason TEXT',
        'fleet policy override --inventory FILE [--match ...] --lift   (or: override lift)',
      ],
      flags: [
        ['--policy P', `one of ${OVERRIDE_POLICIES.join(', ')}`],
        ['--duration DURATION', 'with its unit: 30s, 15m, 1h (at most 7d)'],
        ['--reason TEXT', 'why (required)'],
        ['--lift', 'lift the override instead'],
        ...FLEET_FLAGS,
      ],
      examples: [
        'fleet policy override --inventory fleet.yml --match venue=kraken --policy no_new_trades --duration 15m --reason "venue halt"',
      ],
      notes: [FLEET_EXIT],
    },
    {
      command: 'fleet policy reset',
      summary: 'Release a latched emergency_shutdown on every matching host (a host not latched counts as confirmed).',
      usage: ['fleet policy reset --inventory FILE [--match ...] --reason TEXT [flags]'],
      flags: [['--reason TEXT', 'why (required)'], ...FLEET_FLAGS],
      examples: ['fleet policy reset --inventory fleet.yml --reason "feed restored"'],
      notes: [FLEET_EXIT],
    },
  ],
};

/** One host's outcome, as printed and as --json emits it. */
export interface HostResult {
  instance: string;
  url: string;
  /** ok | not latched (reset: nothing to release) | refused | not confirmed | unreachable */
  result: string;
  confirmed: boolean;
  detail: string;
  policy_after: string | null;
  /** The exit code this host alone would give. */
  code: number;
}

type Verb = 'status' | 'override' | 'reset';
interface Request {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body: unknown;
  /** Strictest-at-least check for an override: the policy each host must now serve. */
  expect?: string;
  verb: Verb;
}

const level = (p: unknown) => (SAFETY_POLICIES as readonly unknown[]).indexOf(p);

/** Classifies one host's answer. Pure. */
function judge(e: InventoryEntry, req: Request, r: CallResult): HostResult {
  const base = { instance: e.instance, url: e.url };
  if (r.kind === 'unreachable')
    return { ...base, result: 'unreachable', confirmed: false, detail: r.message, policy_after: null, code: EXIT.unreachable };
  const policy = (r.kind === 'ok' ? r.body : ((r.body as { policy?: unknown } | null)?.policy ?? null)) as { policy?: unknown } | null;
  const after = typeof policy?.policy === 'string' ? policy.policy : null;
  if (r.kind === 'refused') {
    // Resetting a host that is not latched leaves it as the operator wants it: confirmed.
    if (req.verb === 'reset' && r.status === 409)
      return { ...base, result: 'not latched', confirmed: true, detail: r.message, policy_after: after, code: EXIT.ok };
    return {
      ...base,
      result: 'refused',
      confirmed: false,
      detail: `HTTP ${r.status}: ${r.message}`,
      policy_after: after,
      code: EXIT.refused,
    };
  }
  if (req.expect !== undefined && !(level(after) >= level(req.expect))) {
    return {
      ...base,
      result: 'not confirmed',
      confirmed: false,
      detail: `serves ${after ?? 'nothing'}, not at least ${req.expect}`,
      policy_after: after,
      code: EXIT.refused,
    };
  }
  return { ...base, result: 'ok', confirmed: true, detail: '', policy_after: after, code: EXIT.ok };
}

/** Sends one request to every host; never throws for a host's failure. */
async function fanOut(
  hosts: InventoryEntry[],
  req: Request,
  token: string | null,
  timeout: number,
  concurrency = 64,
): Promise<HostResult[]> {
  return mapLimit(hosts, concurrency, async (e) => {
    const t: Target = { url: e.url, token, timeoutMs: timeout };
    return judge(e, req, await call(t, req.method, req.path, req.body));
  });
}

/** The per-host table and the count of hosts that confirmed. */
function formatResults(rs: HostResult[]): string {
  const rows = rs.map((r) => [r.instance, r.detail ? `${r.result}: ${r.detail}` : r.result, r.policy_after ?? '-']);
  const ok = rs.filter((r) => r.confirmed).length;
  return table(['HOST', 'RESULT', 'POLICY AFTER'], rows) + `${ok}/${rs.length} confirmed\n`;
}

/** Worst code wins: unreachable (2) over refused (1) over ok (0). */
const fleetExit = (rs: HostResult[]): number => Math.max(EXIT.ok, ...rs.map((r) => r.code));

function requestFor(verb: string, extra: string[], v: { policy?: string; duration?: string; reason?: string; lift?: boolean }): Request {
  switch (verb) {
    case 'status':
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
      return { verb, method: 'GET', path: '/policy', body: undefined };
    case 'reset':
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
      return { verb, method: 'POST', path: '/policy/reset', body: { reason: required(v.reason, 'reason') } };
    case 'override': {
      const liftWord = extra[0] === 'lift';
      if (extra.length > (liftWord ? 1 : 0)) throw new UsageError(`unexpected argument "${extra.at(-1)}"`);
      if (liftWord && v.lift) throw new UsageError('give --lift or "lift", not both');
      const lift = liftWord || v.lift === true;
      const r = overrideRequest(v, lift);
      return { verb, ...r, expect: lift ? undefined : v.policy };
    }
    default:
      throw new UsageError(`unknown fleet policy command "${verb}"`);
  }
}

/** `selfheal fleet policy ...`; returns the exit code. */
export async function fleetCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return withUsage(io, FLEET_HELP, argv, FLEET_OPTIONS, async () => {
    // --url is the single-host commands' flag: say where the hosts come from instead of "Unknown option".
    if (argv.some((a) => a === '--url' || a.startsWith('--url=')))
      throw new UsageError('--url: the fleet commands take the hosts from --inventory');
    const { values, positionals } = guard(() => parseArgs({ args: argv, allowPositionals: true, strict: true, options: FLEET_OPTIONS }));
    const [area, verb = 'status', ...extra] = positionals;
    if (area !== 'policy') throw new UsageError(area === undefined ? 'fleet: which command? (policy)' : `unknown fleet command "${area}"`);
    const req = requestFor(verb, extra, values);
    const matchers = parseMatchers(values.match ?? []);
    const matchText = (values.match ?? []).join(', ');
    const all = loadInventory(required(values.inventory, 'inventory'));
    const hosts = all.filter((e) => matches(e, matchers));
    if (!hosts.length) throw new UsageError(`--match: no instance of the inventory matches ${matchText}`);
    const concurrency = values.concurrency === undefined ? 64 : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new UsageError(`--concurrency: expected a positive integer, got ${JSON.stringify(values.concurrency)}`);
    const results = await fanOut(hosts, req, resolveToken(values['token-file'], env), timeoutMs(values.timeout), concurrency);
    io.out(values.json ? JSON.stringify(results, null, 2) + '\n' : formatResults(results));
    if (results.some((r) => r.detail.startsWith('HTTP 401:'))) io.err(tokenHint(tokenSource(values['token-file'], env)));
    return fleetExit(results);
  });
}

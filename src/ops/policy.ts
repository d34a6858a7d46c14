// `selfheal policy [status|reset|override]`: the served policy of one running selfheal.
import { UsageError, call, parseDuration, type Target } from './http';
import { parseArgs } from 'node:util';
import { OVERRIDE_POLICIES } from '../types';
import { COMMON_OPTIONS, guard, report, required, targetOf, when, withUsage, type Io } from './common';
import { OPERATOR_EXIT, OPERATOR_FLAGS, type CommandHelp } from './help';

/** The options `selfheal policy` parses (every one appears in a help text: test/ops/help.test.ts). */
export const POLICY_OPTIONS = {
  ...COMMON_OPTIONS,
  reason: { type: 'string' },
  policy: { type: 'string' },
  duration: { type: 'string' },
  lift: { type: 'boolean' },
} as const;

/** `selfheal policy` and its subcommands' help. */
export const POLICY_HELP: CommandHelp = {
  help: {
    command: 'policy',
    summary: 'The served policy of one running selfheal: show it, override it for a time, release a latched emergency.',
    usage: ['policy [status|reset|override] [flags]'],
    flags: OPERATOR_FLAGS,
    examples: ['policy', 'policy --url http://trader-1:8477 --json'],
    notes: [OPERATOR_EXIT],
  },
  subcommands: [
    {
      command: 'policy status',
      summary: 'The served policy, its limits and its reasons (the default command).',
      usage: ['policy status [flags]', 'policy [flags]   (status is the default)'],
      flags: OPERATOR_FLAGS,
      examples: ['policy status', 'policy --json'],
      notes: [OPERATOR_EXIT],
    },
    {
      command: 'policy reset',
      summary: 'Release a latched emergency_shutdown once the cause is fixed (the platform must be healthy again).',
      usage: ['policy reset --reason TEXT [flags]'],
      flags: [['--reason TEXT', 'why (required; logged with the release)'], ...OPERATOR_FLAGS],
      examples: ['policy reset --reason "executor repaired"'],
      notes: [OPERATOR_EXIT + ' (1 also when nothing is latched)'],
    },
    {
      command: 'policy override',
      summary: 'Impose a stricter policy for a time, or lift it. It can only make the served policy stricter, never looser.',
      usage: [
        'policy override --policy P --duration DURATION --reason TEXT [flags]',
        'policy override --lift   (or: policy override lift)',
      ],
      flags: [
        ['--policy P', `one of ${OVERRIDE_POLICIES.join(', ')}`],
        ['--duration DURATION', 'with its unit: 30s, 15m, 1h, 1h30m (at most 7d)'],
        ['--reason TEXT', "why (required; shown in the policy's reasons)"],
        ['--lift', 'lift the override instead'],
        ...OPERATOR_FLAGS,
      ],
      examples: ['policy override --policy no_new_trades --duration 30m --reason "venue maintenance"', 'policy override lift'],
      notes: [OPERATOR_EXIT],
    },
  ],
};

/** What GET /policy and the mutating policy endpoints answer. */
export interface PolicyBody {
  policy: string;
  level: number;
  trading_allowed: boolean;
  new_positions_allowed: boolean;
  max_leverage: number | null;
  position_size_multiplier: number;
  reasons: string[];
  valid_until: string;
}

/** Human view of a policy answer. */
function formatPolicy(b: unknown): string {
  const p = b as PolicyBody;
  const yn = (x: boolean) => (x ? 'yes' : 'no');
  const lines = [
    `policy: ${p.policy} (level ${p.level})`,
    `trading allowed: ${yn(p.trading_allowed)}; new positions: ${yn(p.new_positions_allowed)}; max leverage: ${p.max_leverage ?? 'no cap'}; size multiplier: ${p.position_size_multiplier}`,
    `valid until: ${when(p.valid_until)}`,
  ];
  if (p.reasons?.length) lines.push('reasons:', ...p.reasons.map((r) => `  - ${r}`));
  return lines.join('\n') + '\n';
}

/** An override's policy: one stricter than allow_all (an override that cannot tighten anything is a mistake). */
function overridePolicy(p: string): string {
  if (p === 'allow_all')
    throw new UsageError(
      '--policy: allow_all is not stricter than allow_all, so an override to it would change nothing; to end an override: selfheal policy override --lift',
    );
  if (!(OVERRIDE_POLICIES as readonly string[]).includes(p))
    throw new UsageError(`--policy: expected one of ${OVERRIDE_POLICIES.join(', ')}, got ${JSON.stringify(p)}`);
  return p;
}

/** The request an override (or its lift) makes; shared with `selfheal fleet policy override`. */
export function overrideRequest(v: { policy?: string; duration?: string; reason?: string; lift?: boolean }, lift: boolean) {
  if (lift) return { method: 'DELETE' as const, path: '/policy/override', body: undefined };
  const policy = overridePolicy(required(v.policy, 'policy'));
  const duration_sec = parseDuration(required(v.duration, 'duration'));
  return { method: 'POST' as const, path: '/policy/override', body: { policy, duration_sec, reason: required(v.reason, 'reason') } };
}

/** `selfheal policy ...`; returns the exit code. */
export async function policyCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return withUsage(io, POLICY_HELP, argv, POLICY_OPTIONS, async () => {
    const { values, positionals } = guard(() => parseArgs({ args: argv, allowPositionals: true, strict: true, options: POLICY_OPTIONS }));
    const [sub = 'status', ...extra] = positionals;
    const lift = values.lift === true || (sub === 'override' && extra[0] === 'lift');
    if (extra.length > (sub === 'override' && extra[0] === 'lift' ? 1 : 0)) throw new UsageError(`unexpected argument "${extra.at(-1)}"`);
    let t: Target;
    switch (sub) {
      case 'status':
        t = targetOf(values, env);
        return report(await call(t, 'GET', '/policy'), io, values.json, formatPolicy);
      case 'reset': {
        const reason = required(values.reason, 'reason');
        t = targetOf(values, env);
        return report(await call(t, 'POST', '/policy/reset', { reason }), io, values.json, formatPolicy);
      }
      case 'override': {
        if (values.lift && extra[0] === 'lift') throw new UsageError('give --lift or "lift", not both');
        const req = overrideRequest(values, lift);
        t = targetOf(values, env);
        return report(await call(t, req.method, req.path, req.body), io, values.json, formatPolicy);
      }
      default:
        throw new UsageError(`unknown policy command "${sub}"`);
    }
  });
}

// `selfheal policy [status|reset|override]`: the served policy of one running selfheal.
import { EXIT, UsageError, call, parseDuration, type Target } from './http';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, guard, report, required, targetOf, when, withUsage, type Io } from './common';

export const POLICY_USAGE = `Usage:
  selfheal policy [status]                             the served policy
  selfheal policy reset --reason TEXT                  release a latched emergency_shutdown
  selfheal policy override --policy P --duration 10m --reason TEXT
                                                       impose a stricter policy for a time
  selfheal policy override --lift  (or: override lift) lift the override
Flags: --url URL (default http://127.0.0.1:8477), --token-file FILE (else env SELFHEAL_API_TOKEN),
       --timeout 5s, --json (the service's JSON as is)
Exit: 0 done, 1 refused by the service (4xx, its message shown), 2 unreachable or 5xx, 3 usage
`;

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
export function formatPolicy(b: unknown): string {
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

/** The request an override (or its lift) makes; shared with `selfheal fleet policy override`. */
export function overrideRequest(v: { policy?: string; duration?: string; reason?: string; lift?: boolean }, lift: boolean) {
  if (lift) return { method: 'DELETE' as const, path: '/policy/override', body: undefined };
  const policy = required(v.policy, 'policy');
  const duration_sec = parseDuration(required(v.duration, 'duration'));
  return { method: 'POST' as const, path: '/policy/override', body: { policy, duration_sec, reason: required(v.reason, 'reason') } };
}

/** `selfheal policy ...`; returns the exit code. */
export async function policyCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return withUsage(io, POLICY_USAGE, async () => {
    const { values, positionals } = guard(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          ...COMMON_OPTIONS,
          reason: { type: 'string' },
          policy: { type: 'string' },
          duration: { type: 'string' },
          lift: { type: 'boolean' },
        },
      }),
    );
    if (values.help) {
      io.out(POLICY_USAGE);
      return EXIT.ok;
    }
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

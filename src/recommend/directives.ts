// What each safety policy lets a trading bot do, order by order: the guide's "Policy Effects" as one
// table. Every policy view (the API, the stream, /health/system, both clients) is derived from it.
// No config import: the bots' client (clients/typescript) is built from this file and must not pull the config in.
import { stricterPolicy, type HighRiskDefinition, type PolicyLimits, type SafetyPolicy } from '../types';

/** The configured limits of the two policies that allow new positions (config `policy.normal`, `policy.safe_profile`). */
export interface ProfileLimits {
  normal: PolicyLimits;
  safe_profile: PolicyLimits;
}

/** Which existing positions the bot must close now. */
export const CLOSE_POSITIONS = ['none', 'high_risk', 'all'] as const;
/** Which existing positions must be closed now: none, the high-risk ones, or all. */
export type ClosePositions = (typeof CLOSE_POSITIONS)[number];

/** One row of the guide's "Policy Effects". */
export interface DirectiveRow {
  open_positions: boolean;
  increase_positions: boolean;
  /**
   * Reducing or closing a position is ALWAYS allowed: no policy, no stale answer and no unreachable
   * service may stop a bot from reducing risk. The type is the literal `true`, so no code can say otherwise.
   */
  reduce_positions: true;
  adjust_stops: boolean;
  close_positions: ClosePositions;
  /** safe_risk_profile: "tighter stops". */
  tighten_stops: boolean;
}

/** A row with the limits new and increased positions must stay within (0 where none may be opened). */
export interface Directives extends DirectiveRow, PolicyLimits {}

/** The guide's "Policy Effects" — the one source. */
export const POLICY_DIRECTIVES: Readonly<Record<SafetyPolicy, Readonly<DirectiveRow>>> = {
  allow_all: {
    open_positions: true,
    increase_positions: true,
    reduce_positions: true,
    adjust_stops: true,
    close_positions: 'none',
    tighten_stops: false,
  },
  safe_risk_profile: {
    open_positions: true,
    increase_positions: true,
    reduce_positions: true,
    adjust_stops: true,
    close_positions: 'none',
    tighten_stops: true,
  },
  no_new_trades: {
    open_positions: false,
    increase_positions: false,
    reduce_positions: true,
    adjust_stops: true,
    close_positions: 'none',
    tighten_stops: false,
  },
  defensive_exit: {
    open_positions: false,
    increase_positions: false,
    reduce_positions: true,
    adjust_stops: true,
    close_positions: 'high_risk',
    tighten_stops: false,
  },
  emergency_shutdown: {
    open_positions: false,
    increase_positions: false,
    reduce_positions: true,
    adjust_stops: true,
    close_positions: 'all',
    tighten_stops: false,
  },
};

/** The policy a client falls back to when it cannot trust what it has (stale or unreachable). */
const FAIL_CLOSED_POLICY: SafetyPolicy = 'no_new_trades';

export type { HighRiskDefinition } from '../types';

/** The default of `policy.high_risk` under the default safe profile (what a client assumes before it hears). */
export const DEFAULT_HIGH_RISK: Readonly<HighRiskDefinition> = { max_leverage: 5, tags: ['high_risk'] };

const NO_LIMITS: PolicyLimits = { max_leverage: 0, position_size_multiplier: 0 };

/** The limits of a policy: the configured profile where positions may be opened, zero elsewhere. */
function policyLimits(policy: SafetyPolicy, cfg: ProfileLimits): PolicyLimits {
  if (policy === 'allow_all') return { ...cfg.normal };
  if (policy === 'safe_risk_profile') return { ...cfg.safe_profile };
  return { ...NO_LIMITS };
}

/** The directives of a policy under a config. */
export function directivesFor(policy: SafetyPolicy, cfg: ProfileLimits): Directives {
  return { ...POLICY_DIRECTIVES[policy], ...policyLimits(policy, cfg) };
}

/**
 * The answer when the policy cannot be trusted (past valid_until, or selfheal unreachable): the
 * fail-closed policy or the stricter last-known one, with no new positions, zero limits — and exits allowed.
 */
export function failClosedPolicy(lastKnown: SafetyPolicy | null): SafetyPolicy {
  return lastKnown ? stricterPolicy(lastKnown, FAIL_CLOSED_POLICY) : FAIL_CLOSED_POLICY;
}

/** The directives of the fail-closed answer: that policy's row, with zero limits. */
export function failClosedDirectives(lastKnown: SafetyPolicy | null): Directives {
  return { ...POLICY_DIRECTIVES[failClosedPolicy(lastKnown)], ...NO_LIMITS };
}

// What a trading bot asks before every order: may I trade, and how much?
// No config import (the bots' client is built from this file): the view takes the policy section's shape.
import { directivesFor, type Directives, type ProfileLimits } from './recommend/directives';
import { policyLevel, type HighRiskDefinition, type SafetyPolicy } from './types';

/** What a view needs of the config's `policy` section. */
export interface PolicyViewConfig extends ProfileLimits {
  high_risk: HighRiskDefinition;
  valid_for_sec: number;
}

export type { ClosePositions, Directives, HighRiskDefinition } from './recommend/directives';

/** What `GET /policy` (and each `policy` event of `/policy/stream`) answers: the bot's gate before every order. */
export interface PolicyView {
  policy: SafetyPolicy;
  level: number;
  /** The guide's trading_should_continue on the served policy (see docs/bots.md): not an order gate. */
  trading_allowed: boolean;
  new_positions_allowed: boolean;
  max_leverage: number | null;
  position_size_multiplier: number;
  /** What the bot may do now, order by order (the guide's "Policy Effects"). */
  directives: Directives;
  /** Which positions `close_positions: "high_risk"` means (config `policy.high_risk`). */
  high_risk: HighRiskDefinition;
  /** True while emergency_shutdown is latched: an operator must look, then POST /policy/reset. */
  manual_intervention_required: boolean;
  reasons: string[];
  timestamp: string;
  valid_until: string;
}

/** The view of a served policy; `latched` while an emergency_shutdown waits for an operator's reset. */
export function policyView(
  policy: SafetyPolicy,
  tradingShouldContinue: boolean,
  reasons: string[],
  evaluatedAt: number,
  cfg: PolicyViewConfig,
  latched = false,
): PolicyView {
  const directives = directivesFor(policy, cfg);
  return {
    policy,
    level: policyLevel(policy),
    trading_allowed: tradingShouldContinue && policyLevel(policy) <= policyLevel('no_new_trades'),
    new_positions_allowed: directives.open_positions,
    // Where no new position may be opened, the limits say so too: nothing, at no leverage.
    max_leverage: directives.max_leverage,
    position_size_multiplier: directives.position_size_multiplier,
    directives,
    high_risk: { max_leverage: cfg.high_risk.max_leverage, tags: [...cfg.high_risk.tags] },
    manual_intervention_required: latched && policy === 'emergency_shutdown',
    reasons,
    timestamp: new Date(evaluatedAt).toISOString(),
    valid_until: new Date(evaluatedAt + cfg.valid_for_sec * 1000).toISOString(),
  };
}

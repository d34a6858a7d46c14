// What a trading bot asks before every order: may I trade, and how much?
import type { PolicyConfig } from '../config/types';
import { policyLevel, type SafetyPolicy } from '../types';

export interface PolicyView {
  policy: SafetyPolicy;
  level: number;
  trading_allowed: boolean;
  new_positions_allowed: boolean;
  max_leverage: number | null;
  position_size_multiplier: number;
  reasons: string[];
  timestamp: string;
  valid_until: string;
}

export function policyView(
  policy: SafetyPolicy,
  tradingShouldContinue: boolean,
  reasons: string[],
  evaluatedAt: number,
  cfg: PolicyConfig,
): PolicyView {
  const opens = policy === 'allow_all' || policy === 'safe_risk_profile';
  const limits = policy === 'allow_all' ? cfg.normal : policy === 'safe_risk_profile' ? cfg.safe_profile : null;
  return {
    policy,
    level: policyLevel(policy),
    trading_allowed: tradingShouldContinue && policyLevel(policy) <= policyLevel('no_new_trades'),
    new_positions_allowed: opens,
    // Where no new position may be opened, the limits say so too: nothing, at no leverage.
    max_leverage: limits ? limits.max_leverage : 0,
    position_size_multiplier: limits ? limits.position_size_multiplier : 0,
    reasons,
    timestamp: new Date(evaluatedAt).toISOString(),
    valid_until: new Date(evaluatedAt + cfg.valid_for_sec * 1000).toISOString(),
  };
}

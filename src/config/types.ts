// All configuration types live here (node_exporter style: one place for config). Most are derived from
// the declared keys (config/schema.ts), so a new key is one declaration.
import type { TradingCriticality } from '../types';
import type { ValueOf, Values } from '../schema/keys';
import type { API_KEYS, CONSOLE_KEYS, DEMO_KEYS, FLAPPING_KEYS, POLICY_KEYS, RECEIVER_KEYS, RECOVERY_KEYS, ROOT_KEYS } from './schema';

// Each check type's spec lives with its module; the union is derived from the registry.
import type { CheckSpec } from '../detect/registry';
export type { CheckSpec } from '../detect/registry';

/** One subsystem as configured: its check, how critical it is, who depends on it. */
export interface SubsystemConfig {
  name: string;
  enabled: boolean;
  criticality: TradingCriticality;
  /** Subsystems that depend on this one (the guide's affects_subsystems). */
  dependents: string[];
  timeout_sec: number;
  check: CheckSpec;
}

/** `policy:` as parsed (keys: config/schema.ts). */
export type PolicyConfig = Values<typeof POLICY_KEYS>;

/** `api:` as parsed: `token` from itself, `token_file` or SELFHEAL_API_TOKEN. */
export type ApiConfig = Omit<Values<typeof API_KEYS>, 'token_file'>;

/** `receiver.basic_auth` as parsed (the password from itself or its file). */
export interface BasicAuth {
  username: string;
  password: string;
}

/** `receiver:` as parsed: the token from itself, its file or SELFHEAL_WEBHOOK_TOKEN. */
export type ReceiverConfig = Omit<Values<typeof RECEIVER_KEYS>, 'bearer_token_file' | 'basic_auth'> & { basic_auth: BasicAuth | null };

type ParsedHandler = ValueOf<(typeof RECOVERY_KEYS)['handlers']>[number];

/**
 * One recovery handler: the common keys and its kind's settings (`exec`, `http`, `docker` or `systemd`;
 * the other kinds null). `env` and the supervisor kinds are optional where a handler is built by hand
 * (the parser always sets them).
 */
export type HandlerConfig = Omit<ParsedHandler, 'docker' | 'systemd'> &
  Partial<Pick<ParsedHandler, 'docker' | 'systemd'>> & {
    /** An exec handler's `env:` (the exec kind's second key). */
    env?: string[];
  };

/** `recovery:` as parsed (`journal_path` resolved against data_dir). */
export type RecoveryConfig = Omit<Values<typeof RECOVERY_KEYS>, 'handlers'> & { handlers: HandlerConfig[] };

/** `flapping:` as parsed: flap detection (a subsystem that keeps going unhealthy holds a floor until stable). */
export type FlappingConfig = Values<typeof FLAPPING_KEYS>;

/** `demo:` as parsed. */
export type DemoConfig = Values<typeof DEMO_KEYS>;

/** `console:` as parsed (`grafana_url` without a trailing slash). */
export type ConsoleConfig = Values<typeof CONSOLE_KEYS>;

/** The whole validated configuration (`selfheal.yml` after `loadConfigFile`/`parseConfig`). */
export type Config = Values<typeof ROOT_KEYS> & {
  api: ApiConfig;
  policy: PolicyConfig;
  receiver: ReceiverConfig;
  recovery: RecoveryConfig;
  flapping: FlappingConfig;
  demo: DemoConfig;
  console: ConsoleConfig;
  subsystems: SubsystemConfig[];
};

// The example Alertmanager configuration, generated from the engine's dependency map so the
// inhibition rules and the health engine never disagree (one source of truth, not two copies).
// Its parts are exported for the fleet configuration (src/deploy/fleet.ts), which routes per instance.
import { BUILTIN_DEFAULTS } from '../config/builtin';
import { BUILTIN_SUBSYSTEMS } from '../types';
import { DEFAULT_RULES_CONFIG } from './rules_config';

export interface AlertmanagerOptions {
  /** Where Alertmanager reaches the receiver, e.g. http://selfheal:8477 */
  selfhealUrl: string;
  /** File holding the receiver's bearer credential, as Alertmanager sees it. */
  tokenFile: string;
  pagerUrl: string;
  deadmansSwitchUrl: string;
  /** Alertmanager ≥ 0.28 only (webhook_config.timeout); omitted for older versions. */
  webhookTimeout?: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** The rules pack's heartbeat alert (RulesConfig.watchdog); null: the pack has none. */
  watchdog?: string | null;
}

/** Upstream → dependents, from the built-in subsystem table ("*" = every other subsystem). */
export function dependencyMap(): [string, string[]][] {
  return Object.entries(BUILTIN_DEFAULTS)
    .map(([name, d]): [string, string[]] => [name, d.dependents === '*' ? BUILTIN_SUBSYSTEMS.filter((s) => s !== name) : d.dependents])
    .filter(([, deps]) => deps.length > 0);
}

/** The receiver's webhook: every alert of a group in one delivery, with the bearer credential from a file. */
export function selfhealWebhook(selfhealUrl: string, tokenFile: string, webhookTimeout?: string): Record<string, unknown> {
  const webhook: Record<string, unknown> = {
    url: `${selfhealUrl}/alertmanager/webhook`,
    send_resolved: true,
    max_alerts: 0,
    http_config: { authorization: { type: 'Bearer', credentials_file: tokenFile } },
  };
  if (webhookTimeout) webhook.timeout = webhookTimeout;
  return webhook;
}

/** The root route's grouping and timing. */
export function routeTiming(o: Pick<AlertmanagerOptions, 'groupWait' | 'groupInterval' | 'repeatInterval'>): Record<string, unknown> {
  return {
    group_by: ['alertname', 'instance', 'subsystem'],
    group_wait: o.groupWait ?? '30s',
    group_interval: o.groupInterval ?? '5m',
    repeat_interval: o.repeatInterval ?? '4h',
  };
}

/** The heartbeat goes to the dead man's switch at once and every minute. */
function watchdogRoute(o: Pick<AlertmanagerOptions, 'watchdog'>, receiver: string): Record<string, unknown>[] {
  const name = o.watchdog === undefined ? DEFAULT_RULES_CONFIG.watchdog : o.watchdog;
  return name ? [{ receiver, matchers: [`alertname="${name}"`], group_wait: '0s', group_interval: '1m', repeat_interval: '1m' }] : [];
}

/** The heartbeat to the dead man's switch first, then critical alerts to the pager (and on). */
export function pagerRoutes(o: Pick<AlertmanagerOptions, 'watchdog'> = {}): Record<string, unknown>[] {
  return [...watchdogRoute(o, 'deadmans-switch'), { receiver: 'pager', matchers: ['severity="critical"'], continue: true }];
}

/** The pager and the dead man's switch as webhook receivers. */
export function pagerReceivers(o: Pick<AlertmanagerOptions, 'pagerUrl' | 'deadmansSwitchUrl'>): Record<string, unknown>[] {
  return [
    { name: 'pager', webhook_configs: [{ url: o.pagerUrl, send_resolved: true }] },
    { name: 'deadmans-switch', webhook_configs: [{ url: o.deadmansSwitchUrl, send_resolved: false }] },
  ];
}

/** Inhibitions within one instance: critical over warning, upstream over dependents. */
export function inhibitRules(): Record<string, unknown>[] {
  return [
    // A critical alert silences the warning about the same signal on the same instance (CPU 95% over CPU 90%).
    { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['instance', 'signal', 'subsystem'] },
    // An upstream subsystem's critical or failed alert silences its dependents' subsystem alerts:
    // fix the feed before restarting what starves without it.
    ...dependencyMap().map(([up, deps]) => ({
      source_matchers: ['alertname=~"SelfHealSubsystemCritical|SelfHealSubsystemFailed"', `subsystem="${up}"`],
      target_matchers: ['signal="subsystem"', `subsystem=~"${deps.join('|')}"`],
      equal: ['instance'],
    })),
  ];
}

/** A whole Alertmanager configuration for a monitoring stack of selfheal's own (one host). */
export function alertmanagerConfig(o: AlertmanagerOptions): Record<string, unknown> {
  return {
    global: { resolve_timeout: '5m' },
    route: {
      receiver: 'selfheal-recovery',
      ...routeTiming(o),
      routes: [...pagerRoutes(o), { receiver: 'selfheal-recovery', matchers: ['severity=~"critical|warning|info"'] }],
    },
    receivers: [
      { name: 'selfheal-recovery', webhook_configs: [selfhealWebhook(o.selfhealUrl, o.tokenFile, o.webhookTimeout)] },
      ...pagerReceivers(o),
    ],
    inhibit_rules: inhibitRules(),
  };
}

export const EXAMPLE: AlertmanagerOptions = {
  selfhealUrl: 'http://selfheal:8477',
  tokenFile: '/run/secrets/selfheal_webhook_token',
  pagerUrl: 'http://pager.invalid/replace-with-your-paging-integration',
  deadmansSwitchUrl: 'http://deadmans-switch.invalid/replace-with-your-heartbeat-url',
};

/**
 * The part to paste into an existing Alertmanager configuration: routes scoped to selfheal's alerts
 * (to put first under `route.routes`) and the receivers they name (to add to `receivers`). The
 * recovery route continues, so the existing tree still pages on selfheal's critical alerts.
 */
export function alertmanagerRouteSnippet(o: Omit<AlertmanagerOptions, 'pagerUrl'>): Record<string, unknown> {
  const heartbeat = watchdogRoute(o, 'selfheal-deadmans-switch');
  return {
    routes: [...heartbeat, { receiver: 'selfheal-recovery', matchers: ['alertname=~"SelfHeal.*"'], ...routeTiming(o), continue: true }],
    receivers: [
      { name: 'selfheal-recovery', webhook_configs: [selfhealWebhook(o.selfhealUrl, o.tokenFile, o.webhookTimeout)] },
      ...(heartbeat.length
        ? [{ name: 'selfheal-deadmans-switch', webhook_configs: [{ url: o.deadmansSwitchUrl, send_resolved: false }] }]
        : []),
    ],
  };
}

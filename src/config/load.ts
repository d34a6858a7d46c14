import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CHECK_MODULES, CHECK_TYPES } from '../detect/registry';
import { RECOVERY_ACTIONS, TRADING_CRITICALITIES, type RecoveryAction } from '../types';
import { BUILTIN_DEFAULTS } from './builtin';
import { ConfigError, Section, isPlainObject } from '../schema/reader';
import type { CheckSpec, Config, HandlerConfig, PolicyLimits, SubsystemConfig } from './types';

export { ConfigError } from '../schema/reader';

export const DEFAULT_PORT = 8477;
/** Node timers hold at most 2^31−1 ms; a longer interval or timeout would fire at once (and loop). */
export const TIMER_MAX_SEC = Math.floor((2 ** 31 - 1) / 1000);

/** Reads and validates a YAML config file. Throws ConfigError naming the key and the reason. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConfig(raw, dirname(resolve(path)), env);
}

function readSecretFile(s: Section, key: string): string | null {
  const file = s.optString(key);
  if (file === null) return null;
  try {
    const v = readFileSync(file, 'utf8').trim();
    if (!v) s.fail(key, `file ${file} is empty`);
    return v;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return s.fail(key, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Validates an already-parsed config object. `baseDir` anchors relative paths. */
export function parseConfig(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv = {}): Config {
  const root = Section.of('', raw);
  const abs = (p: string) => resolve(baseDir, p);
  const pos = { gt: 0 };
  /** Seconds that end up in a timer: positive, and no more than a Node timer can hold. */
  const timer = { gt: 0, max: TIMER_MAX_SEC };
  const timer0 = { min: 0, max: TIMER_MAX_SEC };

  const data_dir = abs(root.string('data_dir', '/app/data'));
  const log_dir = abs(root.string('log_dir', '/app/logs'));
  const models_dir = abs(root.string('models_dir', '/app/ai_engine/models'));
  const database_path = abs(root.string('database_path', '/app/backend/data/quantum_trader.db'));
  const check_interval = root.number('check_interval', 30, timer);
  const critical_check_interval = root.number('critical_check_interval', 5, timer);
  const max_consecutive_failures = root.number('max_consecutive_failures', 3, { min: 1, int: true });
  const max_error_rate = root.number('max_error_rate', 0.2, { min: 0, max: 1 });
  const error_rate_window = root.number('error_rate_window', 20, { min: 1, int: true });
  const stale_data_threshold_sec = root.number('stale_data_threshold_sec', 300, pos);
  const max_cpu_percent = root.number('max_cpu_percent', 90, { gt: 0, max: 100 });
  const max_memory_percent = root.number('max_memory_percent', 85, { gt: 0, max: 100 });
  const auto_restart_enabled = root.bool('auto_restart_enabled', true);
  const auto_pause_on_critical = root.bool('auto_pause_on_critical', true);
  const check_timeout_sec = root.number('check_timeout_sec', 5, timer);
  const max_clock_skew_sec = root.number('max_clock_skew_sec', 30, { min: 0 });
  const report_path = resolve(data_dir, root.string('report_path', 'self_healing_report.json'));
  const host = root.string('host', '127.0.0.1');
  const port = root.number('port', DEFAULT_PORT, { min: 0, max: 65535, int: true });
  const instance = (root.optString('instance') ?? env.SELFHEAL_INSTANCE ?? '').trim() || null;

  const apiS = root.section('api');
  const apiToken = apiS.optString('token') ?? readSecretFile(apiS, 'token_file') ?? env.SELFHEAL_API_TOKEN ?? null;
  const max_connections = apiS.number('max_connections', 1024, { min: 1, int: true });
  // Streams are their own connection class, capped below the connection limit: /policy, the operator
  // and the webhook keep the rest (issue 25).
  const max_streams = apiS.number('max_streams', Math.floor(max_connections / 2), { min: 0, int: true });
  if (max_streams >= max_connections)
    apiS.fail('max_streams', `must be below api.max_connections (${max_connections}): /policy, the operator and the webhook need room`);
  const max_streams_per_client = apiS.number('max_streams_per_client', Math.min(32, max_streams), { min: 0, int: true });
  apiS.done();

  const polS = root.section('policy');
  const limits = (s: Section, def: PolicyLimits): PolicyLimits => {
    const out = {
      max_leverage: s.nullableNumber('max_leverage', def.max_leverage, pos),
      position_size_multiplier: s.number('position_size_multiplier', def.position_size_multiplier, { min: 0, max: 1 }),
    };
    s.done();
    return out;
  };
  const policyBase = {
    hold_down_sec: polS.number('hold_down_sec', 60, timer0),
    valid_for_sec: polS.number('valid_for_sec', Math.max(3 * critical_check_interval, 15), timer),
    normal: limits(polS.section('normal'), { max_leverage: null, position_size_multiplier: 1 }),
    safe_profile: limits(polS.section('safe_profile'), { max_leverage: 5, position_size_multiplier: 0.5 }),
  };
  const hrS = polS.section('high_risk');
  const high_risk = {
    // Default: beyond what the safe profile allows, or tagged high risk by the bot.
    max_leverage: hrS.nullableNumber('max_leverage', policyBase.safe_profile.max_leverage, pos),
    tags: hrS.stringList('tags', ['high_risk']),
  };
  hrS.done();
  polS.done();
  const policy = { ...policyBase, high_risk };

  const recS = root.section('receiver');
  let basic_auth: { username: string; password: string } | null = null;
  if (recS.has('basic_auth')) {
    const b = recS.section('basic_auth');
    const username = b.string('username', '');
    if (!username) b.fail('username', 'required');
    const password = b.optString('password') ?? readSecretFile(b, 'password_file') ?? b.fail('password', 'required (or password_file)');
    b.done();
    basic_auth = { username, password };
  }
  const receiver = {
    enabled: recS.bool('enabled', true),
    bearer_token: recS.optString('bearer_token') ?? readSecretFile(recS, 'bearer_token_file') ?? env.SELFHEAL_WEBHOOK_TOKEN ?? null,
    basic_auth,
    max_body_bytes: recS.number('max_body_bytes', 1024 * 1024, { min: 1024, int: true }),
    body_timeout_sec: recS.number('body_timeout_sec', 10, { gt: 0 }),
  };
  recS.done();

  const rvS = root.section('recovery');
  const actionList = (k: string, def: RecoveryAction[]): RecoveryAction[] =>
    rvS.stringList(k, def).map((a, i) => {
      if (!(RECOVERY_ACTIONS as readonly string[]).includes(a)) {
        throw new ConfigError(`${rvS.key(k)}[${i}]: expected one of ${RECOVERY_ACTIONS.join(', ')}, got "${a}"`);
      }
      return a as RecoveryAction;
    });
  const recovery = {
    local: rvS.bool('local', true),
    dry_run: rvS.bool('dry_run', false),
    dry_run_actions: actionList('dry_run_actions', []),
    journal_path: resolve(data_dir, rvS.string('journal_path', 'selfheal_journal.db')),
    journal_synchronous: rvS.oneOf('journal_synchronous', ['normal', 'full'] as const, 'normal'),
    cooldown_sec: rvS.number('cooldown_sec', 300, timer0),
    settle_sec: rvS.number('settle_sec', 30, timer0),
    approval_ttl_sec: rvS.number('approval_ttl_sec', 3600, timer),
    backoff_initial_sec: rvS.number('backoff_initial_sec', 10, timer0),
    backoff_max_sec: rvS.number('backoff_max_sec', 300, timer0),
    backoff_reset_sec: rvS.number('backoff_reset_sec', 600, timer0),
    breaker_max_executions: rvS.number('breaker_max_executions', 5, { min: 1, int: true }),
    breaker_window_sec: rvS.number('breaker_window_sec', 3600, timer),
    lift_on_resolve: rvS.bool('lift_on_resolve', true),
    require_approval: actionList('require_approval', ['defensive_exit', 'close_all_positions']),
    handlers: rvS.list('handlers').map((h, i) => parseHandler(Section.of(`${rvS.key('handlers')}[${i}]`, h))),
    max_concurrent_handlers: rvS.number('max_concurrent_handlers', 4, { min: 1, int: true }),
    retention_days: rvS.number('retention_days', 30, { gt: 0 }),
  };
  rvS.done();

  const demoS = root.section('demo');
  const demo = { enabled: demoS.bool('enabled', false), interval_sec: demoS.number('interval_sec', 1, timer) };
  demoS.done();

  const conS = root.section('console');
  const grafana_url = conS.optString('grafana_url');
  if (grafana_url !== null && !/^https?:\/\/[^\s]+$/.test(grafana_url))
    conS.fail('grafana_url', `expected an http(s) URL, got "${grafana_url}"`);
  conS.done();

  const top = {
    stale_data_threshold_sec,
    models_dir,
    log_dir,
    database_path,
  } as Record<string, unknown>;
  const subsystems = parseSubsystems(root.section('subsystems'), top, data_dir, check_timeout_sec);
  root.done();

  return {
    data_dir,
    log_dir,
    models_dir,
    database_path,
    check_interval,
    critical_check_interval,
    max_consecutive_failures,
    max_error_rate,
    error_rate_window,
    stale_data_threshold_sec,
    max_cpu_percent,
    max_memory_percent,
    auto_restart_enabled,
    auto_pause_on_critical,
    check_timeout_sec,
    max_clock_skew_sec,
    report_path,
    host,
    port,
    instance,
    api: { token: apiToken, max_connections, max_streams, max_streams_per_client },
    policy,
    receiver,
    recovery,
    demo,
    console: { grafana_url: grafana_url === null ? null : grafana_url.replace(/\/+$/, '') },
    subsystems,
  };
}

function parseHandler(s: Section): HandlerConfig {
  const action = s.oneOf('action', RECOVERY_ACTIONS, 'restart_subsystem');
  if (!s.has('action')) s.fail('action', 'required');
  const subsystem = s.optString('subsystem');
  const exec = s.has('exec') ? s.stringList('exec', []) : null;
  if (exec && exec.length === 0) s.fail('exec', 'expected a non-empty argv list');
  let http = null;
  if (s.has('http')) {
    const h = s.section('http');
    const url = h.string('url', '');
    if (!/^https?:\/\//.test(url)) h.fail('url', `expected an http(s) URL, got ${JSON.stringify(url)}`);
    const method = h.string('method', 'POST').toUpperCase();
    const hs = h.section('headers');
    const headers: Record<string, string> = {};
    for (const k of Object.keys(hs.raw)) headers[k] = hs.string(k, '');
    hs.done();
    h.done();
    http = { url, method, headers };
  }
  if (!exec === !http) s.fail('exec', 'a handler needs exactly one of exec or http');
  const timeout_sec = s.number('timeout_sec', 30, { gt: 0, max: TIMER_MAX_SEC });
  const env = s.stringList('env', []);
  s.done();
  return { action, subsystem, exec, http, timeout_sec, env };
}

function fill(v: unknown, top: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    const m = /^\$\{(\w+)\}$/.exec(v);
    if (m && m[1] in top) return top[m[1]];
  }
  return v;
}

function parseSubsystems(s: Section, top: Record<string, unknown>, dataDir: string, defaultTimeout: number): SubsystemConfig[] {
  const names = [...Object.keys(BUILTIN_DEFAULTS), ...Object.keys(s.raw).filter((n) => !(n in BUILTIN_DEFAULTS))];
  const out: SubsystemConfig[] = [];
  const rawDependents = new Map<string, { list: string[] | '*'; section: Section }>();
  for (const name of names) {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) {
      throw new ConfigError(`${s.key(name)}: subsystem names are lower-case letters, digits and _ (got "${name}")`);
    }
    if (name === 'system') throw new ConfigError(`${s.key(name)}: "system" is reserved for resource issues`);
    const user = Section.of(s.key(name), s.raw_(name));
    const builtin = BUILTIN_DEFAULTS[name];
    if (!builtin && !user.has('check')) user.fail('check', `required for a subsystem of your own (one of ${CHECK_TYPES.join(', ')})`);
    const sameType = builtin && (!user.has('check') || user.raw.check === builtin.check.check);
    const merged: Record<string, unknown> = {};
    if (sameType) for (const [k, v] of Object.entries(builtin.check)) merged[k] = fill(v, top);
    for (const [k, v] of Object.entries(user.raw)) merged[k] = v;
    const m = new Section(user.path, merged);
    const enabled = m.bool('enabled', true);
    const criticality = m.oneOf('critical_for_trading', TRADING_CRITICALITIES, builtin?.criticality ?? 'partial');
    const dependents: string[] | '*' =
      m.raw.dependents === '*'
        ? (m.raw_('dependents'), '*')
        : m.stringList('dependents', builtin && Array.isArray(builtin.dependents) ? builtin.dependents : []);
    if (builtin?.dependents === '*' && m.raw.dependents === undefined) rawDependents.set(name, { list: '*', section: m });
    else rawDependents.set(name, { list: dependents, section: m });
    const timeout_sec = m.number('timeout_sec', defaultTimeout, { gt: 0, max: TIMER_MAX_SEC });
    const check = parseCheck(m, dataDir);
    m.done();
    out.push({ name, enabled, criticality, dependents: [], timeout_sec, check });
  }
  s.done();
  const enabledNames = out.filter((x) => x.enabled).map((x) => x.name);
  for (const sub of out) {
    const d = rawDependents.get(sub.name);
    if (!d) continue; // every subsystem parsed above has its entry
    if (d.list === '*') {
      sub.dependents = enabledNames.filter((n) => n !== sub.name);
      continue;
    }
    d.list.forEach((dep, i) => {
      if (!names.includes(dep)) throw new ConfigError(`${d.section.key('dependents')}[${i}]: unknown subsystem "${dep}"`);
    });
    sub.dependents = d.list.filter((dep) => enabledNames.includes(dep) && dep !== sub.name);
  }
  return out;
}

/** The subsystem's `check:` type picks the module that reads the rest of its keys. */
function parseCheck(m: Section, dataDir: string): CheckSpec {
  const type = m.oneOf('check', CHECK_TYPES, 'file_freshness');
  return CHECK_MODULES[type].parse(m, dataDir);
}

/** The config file, or the guide's defaults when none is given. */
export function loadConfig(path: string | undefined): Config {
  return path ? loadConfigFile(path) : defaultConfig({}, process.cwd());
}

export function defaultConfig(overrides: Record<string, unknown> = {}, baseDir = '/'): Config {
  if (!isPlainObject(overrides)) throw new ConfigError('config: expected a mapping');
  return parseConfig(overrides, baseDir);
}

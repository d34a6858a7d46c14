import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { socketOf } from '../handlers/dbus';
import type { SupervisorOp } from '../handlers/handler';
import { supervisorOp } from '../handlers/ops';
import { CHECK_MODULES, CHECK_TYPES } from '../detect/registry';
import { readKeys, take, type KeyDoc, type Keys, type Values } from '../schema/keys';
import { ConfigError, Section, isPlainObject } from '../schema/reader';
import { BUILTIN_DEFAULTS } from './builtin';
import {
  API_KEYS,
  BASIC_AUTH_KEYS,
  CONSOLE_KEYS,
  DEMO_KEYS,
  FLAPPING_KEYS,
  HIGH_RISK_KEYS,
  limitKeys,
  POLICY_KEYS,
  RECEIVER_KEYS,
  RECOVERY_KEYS,
  ROOT_KEYS,
  SUBSYSTEM_KEYS,
  SUBSYSTEM_NAME,
} from './schema';
import type { ApiConfig, CheckSpec, Config, HandlerConfig, PolicyConfig, ReceiverConfig, SubsystemConfig } from './types';

export { ConfigError } from '../schema/reader';

/** The top-level keys the file itself set (a command-line flag that masks one is logged). */
const givenKeys = new WeakMap<Config, ReadonlySet<string>>();

/** Whether the config file (not a default) set this top-level key. */
export function fileSets(config: Config, key: string): boolean {
  return givenKeys.get(config)?.has(key) ?? false;
}

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

/** A secret from the file a `*_file` key names (trimmed; an empty file is an error). */
function readSecretFile(s: Section, key: string, file: string | null): string | null {
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

/** A whole section of declared keys (unknown keys are errors). */
function readSection<K extends Keys>(root: Section, name: string, keys: K, defaults: Partial<Values<K>> = {}): Values<K> {
  const s = root.section(name);
  const v = readKeys(s, keys, defaults);
  s.done();
  return v;
}

/** Validates an already-parsed config object. `baseDir` anchors relative paths. */
export function parseConfig(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv = {}): Config {
  const root = Section.of('', raw);
  const abs = (p: string) => resolve(baseDir, p);
  const top = readKeys(root, ROOT_KEYS);
  const data_dir = abs(top.data_dir);
  const paths = { data_dir, log_dir: abs(top.log_dir), models_dir: abs(top.models_dir), database_path: abs(top.database_path) };
  const instance = (top.instance ?? fromEnv(env, ROOT_KEYS.instance) ?? '').trim() || null;
  const api = parseApi(root.section('api'), env);
  const policy = parsePolicy(root.section('policy'), top.critical_check_interval);
  const receiver = parseReceiver(root.section('receiver'), env);
  const recovery = readSection(root, 'recovery', RECOVERY_KEYS);
  recovery.journal_path = resolve(data_dir, recovery.journal_path);
  recovery.handlers.forEach(checkHandler);
  const flapping = readSection(root, 'flapping', FLAPPING_KEYS);
  const demo = readSection(root, 'demo', DEMO_KEYS);
  const consoleC = readSection(root, 'console', CONSOLE_KEYS);
  if (consoleC.grafana_url !== null) consoleC.grafana_url = consoleC.grafana_url.replace(/\/+$/, '');
  const fills = { stale_data_threshold_sec: top.stale_data_threshold_sec, ...paths } as Record<string, unknown>;
  const subsystems = parseSubsystems(root.section('subsystems'), fills, data_dir, top.check_timeout_sec);
  root.done();
  const config: Config = {
    ...top,
    ...paths,
    report_path: resolve(data_dir, top.report_path),
    instance,
    api,
    policy,
    receiver,
    recovery,
    flapping,
    demo,
    console: consoleC,
    subsystems,
  };
  givenKeys.set(config, new Set(Object.keys(root.raw).filter((k) => root.has(k))));
  return config;
}

/** What one handler entry's keys cannot say alone: the method's case, a supervisor's op for its action, a bus address. */
function checkHandler(h: HandlerConfig, i: number): void {
  if (h.http) h.http.method = h.http.method.toUpperCase();
  const sup = h.docker ? { kind: 'docker', op: h.docker.op } : h.systemd ? { kind: 'systemd', op: h.systemd.op } : null;
  if (!sup) return;
  const where = `recovery.handlers[${i}].${sup.kind}`;
  const r = supervisorOp(h.action, sup.op as SupervisorOp | null);
  if ('error' in r) throw new ConfigError(`${where}.op: ${r.error}`);
  const address = h.systemd?.address ?? null;
  if (address !== null && socketOf(address) === null)
    throw new ConfigError(
      `${where}.address: expected a unix: D-Bus address (unix:path=/run/dbus/system_bus_socket), got ${JSON.stringify(address)}`,
    );
}

function parseApi(s: Section, env: NodeJS.ProcessEnv): ApiConfig {
  const max_connections = take(s, API_KEYS, 'max_connections');
  const max_streams = take(s, API_KEYS, 'max_streams', Math.floor(max_connections / 2));
  if (max_streams >= max_connections)
    s.fail('max_streams', `must be below api.max_connections (${max_connections}): /policy, the operator and the webhook need room`);
  const max_streams_per_client = take(s, API_KEYS, 'max_streams_per_client', Math.min(32, max_streams));
  const { token, token_file, ...rest } = readKeys(s, API_KEYS, { max_connections, max_streams, max_streams_per_client });
  s.done();
  return {
    token: token ?? readSecretFile(s, 'token_file', token_file) ?? fromEnv(env, API_KEYS.token) ?? null,
    ...rest,
    allowed_hosts: rest.allowed_hosts.map((h) => h.toLowerCase()),
  };
}

function parsePolicy(s: Section, criticalInterval: number): PolicyConfig {
  const hold_down_sec = take(s, POLICY_KEYS, 'hold_down_sec');
  const valid_for_sec = take(s, POLICY_KEYS, 'valid_for_sec', Math.max(3 * criticalInterval, 15));
  const normal = readSection(s, 'normal', limitKeys(null, 1));
  const safe_profile = readSection(s, 'safe_profile', limitKeys(5, 0.5));
  // Default: beyond what the safe profile allows, or tagged high risk by the bot.
  const high_risk = readSection(s, 'high_risk', HIGH_RISK_KEYS, { max_leverage: safe_profile.max_leverage });
  s.done();
  return { hold_down_sec, valid_for_sec, normal, safe_profile, high_risk };
}

function parseReceiver(s: Section, env: NodeJS.ProcessEnv): ReceiverConfig {
  let basic_auth: ReceiverConfig['basic_auth'] = null;
  if (s.has('basic_auth')) {
    const b = s.section('basic_auth');
    const v = readKeys(b, BASIC_AUTH_KEYS);
    const password = v.password ?? readSecretFile(b, 'password_file', v.password_file) ?? b.fail('password', 'required (or password_file)');
    b.done();
    basic_auth = { username: v.username, password };
  }
  const { basic_auth: _byHand, ...plain } = RECEIVER_KEYS;
  const { bearer_token, bearer_token_file, ...rest } = readKeys(s, plain);
  s.done();
  return {
    ...rest,
    bearer_token:
      bearer_token ?? readSecretFile(s, 'bearer_token_file', bearer_token_file) ?? fromEnv(env, RECEIVER_KEYS.bearer_token) ?? null,
    basic_auth,
  };
}

/** The environment variable a key falls back to, when it declares one. */
function fromEnv(env: NodeJS.ProcessEnv, key: KeyDoc): string | undefined {
  return key.env === undefined ? undefined : env[key.env];
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
    if (!SUBSYSTEM_NAME.test(name)) {
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
    const enabled = take(m, SUBSYSTEM_KEYS, 'enabled');
    const criticality = take(m, SUBSYSTEM_KEYS, 'critical_for_trading', builtin?.criticality ?? 'partial');
    const dependents = take(m, SUBSYSTEM_KEYS, 'dependents', builtin && Array.isArray(builtin.dependents) ? builtin.dependents : []);
    if (builtin?.dependents === '*' && m.raw.dependents === undefined) rawDependents.set(name, { list: '*', section: m });
    else rawDependents.set(name, { list: dependents, section: m });
    const timeout_sec = take(m, SUBSYSTEM_KEYS, 'timeout_sec', defaultTimeout);
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
  const type = take(m, SUBSYSTEM_KEYS, 'check', 'file_freshness');
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

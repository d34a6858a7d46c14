// Check types registered by name (node_exporter's collector registry, in miniature).
import type { CheckSpec, CheckType } from '../config/types';
import type { Checker, CheckContext, CheckOutcome } from './check';
import { filePresence } from './checks/file_presence';
import { fileFreshness } from './checks/file_freshness';
import { fileSet } from './checks/file_set';
import { httpProbe } from './checks/http';
import { jsonTimestamp } from './checks/json_timestamp';
import { newestFile } from './checks/newest_file';
import { tcpProbe } from './checks/tcp';

type Registry = { [T in CheckType]: Checker<Extract<CheckSpec, { type: T }>> };

export const CHECKERS: Registry = {
  file_freshness: fileFreshness,
  json_timestamp: jsonTimestamp,
  file_set: fileSet,
  file_presence: filePresence,
  newest_file: newestFile,
  http: httpProbe,
  tcp: tcpProbe,
};

export function runChecker(spec: CheckSpec, ctx: CheckContext): Promise<CheckOutcome> {
  return (CHECKERS[spec.type] as Checker<CheckSpec>)(spec, ctx);
}

// A file that must exist (the guide's database check); reports its size.
import type { FilePresenceSpec } from '../../config/types';
import type { Checker } from '../check';
import { round, statOrNull } from './fsutil';

export const filePresence: Checker<FilePresenceSpec> = async (spec) => {
  const st = await statOrNull(spec.path);
  if (!st) {
    return { status: spec.missing_status, details: { path: spec.path, error: 'File missing' }, root_cause: 'Database file missing' };
  }
  return { status: 'healthy', details: { path: spec.path, size_mb: round(st.size / 1024 / 1024, 2) }, evidence_ms: st.mtimeMs };
};

// POST /alertmanager/webhook, served ahead of Express: the intake's hot path. The HTTP part only —
// credentials, content type, size, the body read — the rest is the intake's (execute/intake.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReceiverConfig } from '../config/types';
import { checkCredentials } from '../http/auth';
import { isJson, sendJson } from '../http/json';
import type { Logger } from '../log/logger';
import type { Intake } from './intake';
import type { JournalStore } from './journal';

/**
 * The webhook handler. `receiver` is read on every request (a reload changes the credentials and
 * the size limit in place). Refusals close the connection without reading the body: an
 * unauthenticated 10 GB upload costs nothing.
 */
export function webhookHandler(
  receiver: ReceiverConfig,
  intake: Intake,
  store: Pick<JournalStore, 'problem'>,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const auth = checkCredentials(req, { bearer: receiver.bearer_token, basic: receiver.basic_auth });
    if (!auth.ok) {
      const www: Record<string, string> =
        auth.status === 401 ? { 'WWW-Authenticate': receiver.basic_auth ? 'Basic realm="selfheal"' : 'Bearer' } : {};
      return sendJson(res, auth.status, { error: auth.reason }, { ...www, Connection: 'close' });
    }
    if (!isJson(req.headers['content-type'])) {
      return sendJson(res, 415, { error: 'Content-Type: expected application/json' }, { Connection: 'close' });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > receiver.max_body_bytes) {
      return sendJson(res, 413, { error: 'request body too large' }, { Connection: 'close' });
    }
    const problem = store.problem();
    if (problem) {
      logger.error({ problem }, 'the journal cannot record: answering 503');
      return sendJson(res, 503, { error: `could not record the alerts (${problem}); retry` }, { Connection: 'close' });
    }
    readBody(req, res, receiver.max_body_bytes, (text) => {
      intake
        .receive(text)
        .then((a) => sendJson(res, a.status, a.body))
        .catch((err: unknown) => {
          logger.error({ err: (err as Error).message }, 'webhook intake failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'intake failed (see the log)' });
        });
    });
  };
}

/** Reads the body as UTF-8, answering 413 (after reading it) if it grows past `max` bytes. */
function readBody(req: IncomingMessage, res: ServerResponse, max: number, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > max) tooLarge = true;
    else if (!tooLarge) chunks.push(c);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (tooLarge) sendJson(res, 413, { error: 'request body too large' });
    else done(Buffer.concat(chunks).toString('utf8'));
  });
}

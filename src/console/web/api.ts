// The console's calls to the API, with the operator token as a header, and what it tells the
// operator about them: an action done or refused, and why.
import type { ConsoleConfigView } from '../routes';
import { $, h } from './dom.js';

export type Json = Record<string, unknown>;

/** An answer: its status, and its body as JSON (or text when it is not JSON). */
export interface Reply {
  ok: boolean;
  status: number;
  body: unknown;
}

let tokenHeader: ConsoleConfigView['token_header'] = 'Authorization';
let acted: () => void = () => {};

/** Which header carries the token (from /console/config), and what to do after every action (re-read the state). */
export function setUp(header: ConsoleConfigView['token_header'], afterAct: () => void): void {
  tokenHeader = header;
  acted = afterAct;
}

/** The token in the field now: what an action sends. */
export function token(): string {
  return $<HTMLInputElement>('token').value.trim();
}

let entered: string | null = null;

/** The token as the operator last entered it (the field's change): what the refreshing view reads with. */
export function viewToken(): string {
  return entered ?? token();
}

/**
 * The field's value becomes the view's token. Until then a half-typed or just-cleared field does not
 * change what the refreshes read, so the approvals under the operator's pointer stay where they are.
 */
export function enterToken(): void {
  entered = token();
}

/** A call; with `auth`, the operator token (the field's, or `tok`) travels as its header. */
export async function call(method: string, path: string, body?: unknown, auth = false, tok = token()): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  // Every POST is JSON (the server refuses others unread: no cross-site form can act), bodyless ones too.
  if (body === undefined && method === 'POST') body = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && tok) {
    if (tokenHeader === 'X-Selfheal-Token') headers['X-Selfheal-Token'] = tok;
    else headers.Authorization = `Bearer ${tok}`;
  }
  try {
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { ok: res.ok, status: res.status, body: parsed };
  } catch (err) {
    return { ok: false, status: 0, body: { error: `network error: ${(err as Error).message}` } };
  }
}

export function notice(text: string, error: boolean): void {
  const n = $('notice');
  n.textContent = text;
  n.className = error ? 'notice error' : 'notice';
  n.setAttribute('role', error ? 'alert' : 'status');
  n.hidden = false;
}

/** Runs an operator action and says plainly whether it was done or refused, and why. */
export async function act(label: string, method: string, path: string, body?: unknown): Promise<boolean> {
  const r = await call(method, path, body, true);
  if (r.ok) {
    notice(`${label}: done.`, false);
  } else {
    const err = (r.body as Json | null)?.error ?? r.body ?? 'no reason given';
    const hint = r.status === 401 && !token() ? ' Enter the operator token above.' : '';
    notice(`${label}: refused (HTTP ${r.status || 'no answer'}): ${String(err)}.${hint}`, true);
  }
  acted();
  return r.ok;
}

/** A required reason: an inline error and focus, and no request, when it is empty. */
export function reasonFrom(input: HTMLInputElement, what: string): string | null {
  const v = input.value.trim();
  const errId = `${input.id}-error`;
  document.getElementById(errId)?.remove();
  if (v) {
    input.removeAttribute('aria-invalid');
    return v;
  }
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', errId);
  input.after(h('span', { id: errId, class: 'field-error' }, `A reason is required to ${what}.`));
  input.focus();
  return null;
}

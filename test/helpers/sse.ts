// Reads a Server-Sent Events stream the way a bot would, one event at a time, for assertions.

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export interface SseReader {
  /** The next event named `want` (earlier events of other names stay queued). */
  next(want: string): Promise<Record<string, unknown>>;
  close(): void;
}

export async function openSse(url: string): Promise<SseReader> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers: { accept: 'text/event-stream' } });
  if (res.headers.get('content-type') !== 'text/event-stream') throw new Error(`not an event stream: ${res.status}`);
  const reader = res.body!.getReader();
  const events: SseEvent[] = [];
  let buf = '';
  return {
    async next(want) {
      for (;;) {
        const found = events.findIndex((e) => e.event === want);
        if (found >= 0) return events.splice(found, 1)[0].data;
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += Buffer.from(value).toString('utf8');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    },
    close: () => ac.abort(),
  };
}

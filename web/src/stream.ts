// The change stream (`/twinisle/v1/stream`, Server-Sent Events) and its connection state.
// A new URL (the view moved, layers changed) opens a second connection and closes the first only
// once the second is open, so no event falls between them (duplicates are dropped by lsn).
// Short drops are healed by the browser, which resumes with Last-Event-ID; when the server refuses
// outright, we retry with backoff, and since a fresh connection cannot resume, the owner is told
// to re-read what it may have missed (`onGap`).

import type { ChangeEvent } from './entities';

export type ConnState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface StreamHandlers {
  onChange(ev: ChangeEvent): void;
  /** The server could not replay what we missed: re-read the twin. */
  onResync(): void;
  /** A connection opened after a failure: events may have been missed. */
  onGap(): void;
  onState(state: ConnState): void;
}

/** The subset of EventSource we use, so tests can hand in a fake. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, fn: (ev: MessageEvent) => void): void;
  close(): void;
}

const CLOSED = 2;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

/** Parses one `change` event's data; null when it is not one. */
export function parseChange(data: string, lastEventId: string): ChangeEvent | null {
  let o: Partial<ChangeEvent>;
  try {
    o = JSON.parse(data) as Partial<ChangeEvent>;
  } catch {
    return null;
  }
  const lsn = typeof o.lsn === 'number' ? o.lsn : lastEventId ? Number(lastEventId) : NaN;
  if ((o.op !== 'upsert' && o.op !== 'delete') || typeof o.id !== 'string' || !Number.isFinite(lsn)) return null;
  return { op: o.op, id: o.id, type: o.type, lsn, entity: o.entity ?? null };
}

export class ChangeStream {
  private current: EventSourceLike | null = null;
  private pending: EventSourceLike | null = null;
  private url: string | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failed = false;
  /** What to run when the connection to `url` opens, kept for retries. */
  private onOpen: (() => void) | undefined;

  constructor(
    private readonly handlers: StreamHandlers,
    private readonly connect: (url: string) => EventSourceLike = (url) => new EventSource(url),
  ) {}

  /** Streams from `url` from now on; `onOpen` runs once the connection is up. */
  open(url: string, onOpen?: () => void): void {
    if (url === this.url && (this.current || this.pending)) return;
    this.url = url;
    this.onOpen = onOpen;
    this.clearRetry();
    this.pending?.close();
    if (!this.current) this.handlers.onState('connecting');
    const es = this.connect(url);
    this.pending = es;
    es.addEventListener('change', (e) => {
      const ev = parseChange(e.data, e.lastEventId);
      if (ev) this.handlers.onChange(ev);
    });
    es.addEventListener('resync', () => this.handlers.onResync());
    es.onopen = () => {
      if (es === this.pending) {
        this.current?.close();
        this.current = es;
        this.pending = null;
        this.onOpen?.();
        this.onOpen = undefined;
      }
      if (es !== this.current) return;
      this.retryMs = FIRST_RETRY_MS;
      this.handlers.onState('live');
      if (this.failed) {
        this.failed = false;
        this.handlers.onGap();
      }
    };
    es.onerror = () => this.onError(es);
  }

  private onError(es: EventSourceLike): void {
    if (es.readyState !== CLOSED) {
      // The browser is retrying by itself and will resume from Last-Event-ID.
      if (es === this.current) this.handlers.onState('reconnecting');
      return;
    }
    es.close();
    if (es === this.pending) this.pending = null;
    else if (es === this.current) this.current = null;
    else return;
    // With an older connection still up we are live, just not yet with the new parameters.
    if (!this.current) {
      this.failed = true;
      this.handlers.onState('offline');
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.clearRetry();
    const url = this.url;
    const onOpen = this.onOpen;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (url === null) return;
      this.url = null;
      this.open(url, onOpen);
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Closes every connection and stops retrying. */
  close(): void {
    this.clearRetry();
    this.current?.close();
    this.pending?.close();
    this.current = this.pending = null;
    this.url = null;
  }
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangeStream, type ConnState, type EventSourceLike, parseChange } from '../../src/stream';

class FakeSource implements EventSourceLike {
  readyState = 0;
  onopen: ((ev: Event) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  closed = false;
  readonly listeners = new Map<string, (ev: MessageEvent) => void>();
  constructor(readonly url: string) {}
  addEventListener(type: string, fn: (ev: MessageEvent) => void): void {
    this.listeners.set(type, fn);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  fail(closed: boolean): void {
    this.readyState = closed ? 2 : 0;
    this.onerror?.(new Event('error'));
  }
  emit(type: string, data: string, lastEventId = ''): void {
    this.listeners.get(type)?.({ data, lastEventId } as MessageEvent);
  }
}

function setup() {
  const sources: FakeSource[] = [];
  const states: ConnState[] = [];
  const log: string[] = [];
  const stream = new ChangeStream(
    {
      onChange: (ev) => log.push(`change ${ev.id} ${ev.lsn}`),
      onResync: () => log.push('resync'),
      onGap: () => log.push('gap'),
      onState: (s) => states.push(s),
    },
    (url) => {
      const s = new FakeSource(url);
      sources.push(s);
      return s;
    },
  );
  return { stream, sources, states, log };
}

describe('change events', () => {
  it('parses upserts and deletes, taking the lsn from the id line when missing', () => {
    expect(parseChange('{"op":"upsert","id":"a","type":"T","lsn":7,"entity":{"id":"a","type":"T"}}', '7')).toMatchObject({ op: 'upsert', id: 'a', lsn: 7 });
    expect(parseChange('{"op":"delete","id":"a","entity":null}', '9')).toMatchObject({ op: 'delete', lsn: 9, entity: null });
    expect(parseChange('not json', '1')).toBeNull();
    expect(parseChange('{"op":"merge","id":"a","lsn":1}', '')).toBeNull();
    expect(parseChange('{"op":"upsert","id":"a"}', '')).toBeNull();
  });
});

describe('the connection', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reports its state and delivers events', () => {
    const { stream, sources, states, log } = setup();
    stream.open('/s?a');
    sources[0].open();
    sources[0].emit('change', '{"op":"upsert","id":"x","lsn":3,"entity":null}');
    sources[0].emit('resync', '{}');
    sources[0].fail(false);
    expect(states).toEqual(['connecting', 'live', 'reconnecting']);
    expect(log).toEqual(['change x 3', 'resync']);
  });

  it('switches parameters without a gap: the old connection closes once the new one is open', () => {
    const { stream, sources } = setup();
    let opened = 0;
    stream.open('/s?a');
    sources[0].open();
    stream.open('/s?b', () => opened++);
    expect(sources[0].closed).toBe(false);
    sources[1].open();
    expect(sources[0].closed).toBe(true);
    expect(opened).toBe(1);
    stream.open('/s?b');
    expect(sources).toHaveLength(2); // same URL: nothing to do
  });

  it('retries a refused connection with backoff and reports the gap once back', () => {
    const { stream, sources, states, log } = setup();
    stream.open('/s?a');
    sources[0].open();
    sources[0].fail(true);
    expect(states.at(-1)).toBe('offline');
    vi.advanceTimersByTime(1000);
    expect(sources).toHaveLength(2);
    sources[1].fail(true);
    vi.advanceTimersByTime(1999);
    expect(sources).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sources).toHaveLength(3);
    sources[2].open();
    expect(states.at(-1)).toBe('live');
    expect(log).toEqual(['gap']);
  });

  it('keeps the old connection when the new parameters are refused, and retries them', () => {
    const { stream, sources, states } = setup();
    let opened = 0;
    stream.open('/s?a');
    sources[0].open();
    stream.open('/s?b', () => opened++);
    sources[1].fail(true);
    expect(states.at(-1)).toBe('live');
    vi.advanceTimersByTime(1000);
    expect(sources[2].url).toBe('/s?b');
    sources[2].open();
    expect(opened).toBe(1);
    expect(sources[0].closed).toBe(true);
  });

  it('close stops everything', () => {
    const { stream, sources } = setup();
    stream.open('/s?a');
    sources[0].fail(true);
    stream.close();
    vi.advanceTimersByTime(60000);
    expect(sources).toHaveLength(1);
  });
});

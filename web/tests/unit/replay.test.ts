import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Api, TemporalEntity } from '../../src/api';
import type { Banner } from '../../src/banner';
import { EntityStore, type KeyValues, toRec } from '../../src/entities';
import { Replay } from '../../src/replay';

const HOUR = 3600e3;

function setup() {
  const now = Date.now();
  const store = new EntityStore((e) => toRec(e, now, () => null));
  const snap = store.beginSnapshot();
  store.applyPage(snap, [{ id: 'g', type: 'WaterObserved', waterLevel: 3, alertLevel: 5, dangerLevel: 6, location: { type: 'Point', coordinates: [110, 19] } }]);
  store.endSnapshot(snap, { types: new Set(['WaterObserved']), bbox: null }, true);
  const requests: { from: number; to: number; resolve: (e: TemporalEntity[]) => void }[] = [];
  const api = {
    history: (_types: readonly string[], _attrs: readonly string[], from: number, to: number) =>
      new Promise<TemporalEntity[]>((resolve) => requests.push({ from, to, resolve })),
  } as unknown as Api;
  const banner = { clear: vi.fn(), reportError: vi.fn() } as unknown as Banner;
  const updates = vi.fn();
  const replay = new Replay(
    api,
    store,
    { layers: () => new Set(['gauges']), types: () => ['WaterObserved'] },
    (values: KeyValues, at: number, live) => toRec(values, at, () => live.county),
    banner,
    updates,
  );
  return { replay, requests, updates, store };
}

/** Level 6.5 (danger) over the whole requested stretch. */
const flood = (from: number): TemporalEntity[] => [
  { id: 'g', type: 'WaterObserved', attrs: new Map([['waterLevel', [{ t: from, value: 6.5 }]]]) },
];

describe('replay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('seeks into the window, overlays history and fetches from a little before the playhead', async () => {
    const { replay, requests, store } = setup();
    replay.windowMs = 3 * HOUR;
    const [from, to] = replay.window();
    replay.seek(from + HOUR);
    expect(replay.state).toBe('paused');
    expect([replay.from, replay.to]).toEqual([from, to]);
    expect(requests).toHaveLength(1);
    expect(requests[0].from).toBe(from + HOUR - 30 * 60e3);
    requests[0].resolve(flood(requests[0].from));
    await vi.runOnlyPendingTimersAsync();
    expect(replay.record('g')?.state.label).toBe('state.danger');
    expect(store.get('g')?.state.label).toBe('state.normal'); // the live copy is untouched
  });

  it('waits for history while playing, then plays at speed and returns to live at the end', async () => {
    const { replay, requests } = setup();
    replay.windowMs = HOUR;
    replay.speed = 600;
    replay.play();
    const start = replay.t;
    await vi.advanceTimersByTimeAsync(1000);
    expect(replay.state).toBe('buffering');
    expect(replay.t).toBe(start);
    requests[0].resolve(flood(requests[0].from));
    await vi.advanceTimersByTimeAsync(1000);
    expect(replay.state).toBe('playing');
    expect(replay.t).toBeGreaterThan(start);
    // Feed every later chunk until the window is played through.
    for (let i = 0; i < 100 && replay.state !== 'live'; i++) {
      for (const r of requests.splice(0)) r.resolve(flood(r.from));
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(replay.state).toBe('live');
    expect(replay.record('g')?.state.label).toBe('state.normal');
  });

  it('going live forgets the history', async () => {
    const { replay, requests } = setup();
    replay.seek(replay.window()[0]);
    requests[0].resolve(flood(requests[0].from));
    await vi.runOnlyPendingTimersAsync();
    replay.live();
    expect(replay.state).toBe('live');
    expect(replay.record('g')?.state.label).toBe('state.normal');
  });
});

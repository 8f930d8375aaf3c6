// Time replay: the map as it was at a past moment of the window (the last few hours), played
// forward at a chosen speed from the temporal API, then back to live. The live copy of the twin
// keeps following the stream meanwhile, so returning to live is instant; replay only overlays the
// historical values of the attributes that decide a marker's state and position.
// History is fetched in chunks ahead of the playhead; when playback catches up with what has
// arrived it waits ("buffering") instead of showing made-up states.

import type { Api } from './api';
import type { Banner } from './banner';
import type { EntityStore, KeyValues, Rec } from './entities';
import { type LayerId, layerDef, typesOfLayers } from './layers';
import { ReplayBuffer } from './replayBuffer';

export type ReplayState = 'live' | 'paused' | 'playing' | 'buffering';

/** History before a gap is read this far back, so states set just before it are known. */
const LOOKBACK_MS = 30 * 60e3;
const TICK_MS = 250;

export interface ReplayScope {
  layers(): ReadonlySet<LayerId>;
  /** Every entity type in the twin. */
  types(): readonly string[];
}

export class Replay {
  state: ReplayState = 'live';
  /** Playhead (ms), meaningful when not live. */
  t = 0;
  from = 0;
  to = 0;
  windowMs = 3 * 3600e3;
  speed = 60;
  private readonly buffer = new ReplayBuffer();
  private view = new Map<string, Rec>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastTick = 0;
  private loading: AbortController | null = null;

  constructor(
    private readonly api: Api,
    private readonly store: EntityStore,
    private readonly scope: ReplayScope,
    /** Builds a record from values at a time, keeping the county of the live record. */
    private readonly derive: (values: KeyValues, at: number, live: Rec) => Rec | null,
    private readonly banner: Banner,
    private readonly onUpdate: () => void,
  ) {}

  /** The period the time slider and the charts cover. */
  window(): [number, number] {
    if (this.state !== 'live') return [this.from, this.to];
    // Whole minutes, so the live window (and the history charts read for it) holds still a while.
    const now = Math.ceil(Date.now() / 60e3) * 60e3;
    return [now - this.windowMs, now];
  }

  /** The records to draw: live ones, overlaid with their past values while replaying. */
  records(): Iterable<Rec> {
    return this.view.size === 0 ? this.store.values() : this.overlaid();
  }

  private *overlaid(): Generator<Rec> {
    for (const rec of this.store.values()) yield this.view.get(rec.id) ?? rec;
  }

  /** One record as `records` would give it. */
  record(id: string): Rec | undefined {
    return this.view.get(id) ?? this.store.get(id);
  }

  /** Moves the playhead to `t`, leaving live mode (paused) if needed. */
  seek(t: number): void {
    if (this.state === 'live') {
      [this.from, this.to] = this.window();
      this.state = 'paused';
    }
    this.t = Math.min(this.to, Math.max(this.from, t));
    this.refresh();
  }

  play(): void {
    if (this.state === 'live') this.seek(this.window()[0]);
    if (this.t >= this.to) this.t = this.from;
    this.state = 'playing';
    this.lastTick = performance.now();
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
    this.refresh();
  }

  pause(): void {
    if (this.state === 'live') return;
    this.stopTimer();
    this.state = 'paused';
    this.onUpdate();
  }

  /** Back to the live twin; forgets the fetched history. */
  live(): void {
    this.stopTimer();
    this.loading?.abort();
    this.loading = null;
    this.state = 'live';
    this.buffer.clear();
    this.view = new Map();
    this.banner.clear('replay');
    this.onUpdate();
  }

  /** A new window length; while replaying, the window restarts from now. */
  setWindow(ms: number): void {
    this.windowMs = ms;
    if (this.state === 'live') {
      this.onUpdate();
      return;
    }
    const keep = this.state;
    this.live();
    this.seek(this.window()[0]);
    if (keep === 'playing' || keep === 'buffering') this.play();
  }

  /** The shown layers changed: what was fetched no longer covers them. */
  layersChanged(): void {
    if (this.state === 'live') return;
    this.loading?.abort();
    this.loading = null;
    this.buffer.clear();
    this.refresh();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const now = performance.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    if (this.state !== 'playing' && this.state !== 'buffering') return;
    const available = this.buffer.coveredUntil(this.t);
    if (available <= this.t) {
      this.state = 'buffering';
    } else {
      this.state = 'playing';
      this.t = Math.min(this.t + elapsed * this.speed, available, this.to);
    }
    if (this.t >= this.to) {
      this.live();
      return;
    }
    this.refresh();
  }

  /** Rebuilds the overlay at the playhead and fetches what comes next. */
  private refresh(): void {
    this.view = new Map();
    for (const id of this.buffer.ids()) {
      const live = this.store.get(id);
      const past = live && this.buffer.valuesAt(id, this.t);
      if (!live || !past) continue;
      const rec = this.derive({ ...live.values, ...past }, this.t, live);
      if (rec) this.view.set(id, rec);
    }
    this.onUpdate();
    void this.fetchAhead();
  }

  private chunkMs(): number {
    return Math.min(60 * 60e3, Math.max(10 * 60e3, this.speed * 60e3));
  }

  private async fetchAhead(): Promise<void> {
    if (this.loading || this.state === 'live') return;
    const lookahead = Math.max(this.chunkMs(), this.speed * 30e3);
    const gap = this.buffer.nextGap(this.t, Math.min(this.to, this.t + lookahead));
    if (!gap) return;
    const end = Math.min(gap[1], gap[0] + this.chunkMs());
    const adjacent = this.buffer.coveredUntil(gap[0] - 1) >= gap[0];
    const start = adjacent ? gap[0] : gap[0] - LOOKBACK_MS;
    const abort = new AbortController();
    this.loading = abort;
    try {
      const layers = this.scope.layers();
      const all = this.scope.types();
      const entities = [];
      for (const layer of layers) {
        const types = typesOfLayers(all, new Set([layer]));
        const attrs = layerDef(layer).stateAttrs;
        if (types.length === 0 || attrs.length === 0) continue;
        entities.push(...(await this.api.history(types, attrs, start, end, abort.signal)));
      }
      if (abort.signal.aborted) return;
      this.buffer.add(start, end, entities);
      this.banner.clear('replay');
    } catch (e) {
      if (abort.signal.aborted) return;
      this.banner.reportError('replay', { key: 'what.replay', params: {} }, e);
      this.pause();
      return;
    } finally {
      if (this.loading === abort) this.loading = null;
    }
    this.refresh();
  }
}

// History held for replay: per entity and attribute, samples sorted by time, and which stretches
// of time have been fetched. The replay controller asks it what to fetch next (`nextGap`) and
// what each entity looked like at the playhead (`valuesAt`). Pure: no fetching, no clock.

import type { TemporalEntity } from './api';
import type { Sample } from './temporal';

export class ReplayBuffer {
  private readonly series = new Map<string, Map<string, Sample[]>>();
  /** Fetched stretches [from, to), sorted and merged. */
  private covered: [number, number][] = [];

  /** Records that [from, to) has been fetched and holds `entities`' history. */
  add(from: number, to: number, entities: readonly TemporalEntity[]): void {
    for (const e of entities) {
      const attrs = this.series.get(e.id) ?? new Map<string, Sample[]>();
      this.series.set(e.id, attrs);
      for (const [attr, samples] of e.attrs) attrs.set(attr, mergeSamples(attrs.get(attr) ?? [], samples));
    }
    this.cover(from, to);
  }

  private cover(from: number, to: number): void {
    const all = [...this.covered, [from, to] as [number, number]].sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [a, b] of all) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    this.covered = merged;
  }

  /** The end of the fetched stretch containing `t`, or `t` itself when `t` is not fetched. */
  coveredUntil(t: number): number {
    const span = this.covered.find(([a, b]) => a <= t && t < b);
    return span ? span[1] : t;
  }

  /** The first stretch of [from, to) not fetched yet, or null when all of it is. */
  nextGap(from: number, to: number): [number, number] | null {
    let t = from;
    for (const [a, b] of this.covered) {
      if (b <= t) continue;
      if (a > t) return [t, Math.min(a, to)];
      t = b;
      if (t >= to) return null;
    }
    return t < to ? [t, to] : null;
  }

  /** Entities with history in the buffer. */
  ids(): IterableIterator<string> {
    return this.series.keys();
  }

  /** Each attribute's latest value at or before `t`; attributes with no sample yet are left out. */
  valuesAt(id: string, t: number): Record<string, unknown> | null {
    const attrs = this.series.get(id);
    if (!attrs) return null;
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [attr, samples] of attrs) {
      const i = lastAtOrBefore(samples, t);
      if (i >= 0) {
        out[attr] = samples[i].value;
        any = true;
      }
    }
    return any ? out : null;
  }

  clear(): void {
    this.series.clear();
    this.covered = [];
  }
}

/** Index of the last sample with time ≤ t (binary search), -1 if none. */
export function lastAtOrBefore(samples: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].t <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Sorted union of two sample lists; of two samples at the same time the newer fetch wins. */
function mergeSamples(old: readonly Sample[], added: readonly Sample[]): Sample[] {
  const byTime = new Map<number, Sample>();
  for (const s of old) byTime.set(s.t, s);
  for (const s of added) byTime.set(s.t, s);
  return [...byTime.values()].sort((a, b) => a.t - b.t);
}

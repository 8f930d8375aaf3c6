import { describe, expect, it } from 'vitest';
import { ReplayBuffer, lastAtOrBefore } from '../../src/replayBuffer';
import type { Sample } from '../../src/temporal';

const entity = (id: string, attrs: Record<string, [number, unknown][]>) => ({
  id,
  type: 'WaterObserved',
  attrs: new Map(Object.entries(attrs).map(([k, v]) => [k, v.map(([t, value]) => ({ t, value }))])),
});

describe('replay buffering', () => {
  it('knows what has been fetched and what comes next', () => {
    const b = new ReplayBuffer();
    expect(b.nextGap(0, 100)).toEqual([0, 100]);
    b.add(0, 30, []);
    expect(b.coveredUntil(10)).toBe(30);
    expect(b.coveredUntil(30)).toBe(30); // half-open: 30 itself is not fetched yet
    expect(b.nextGap(10, 100)).toEqual([30, 100]);
    b.add(50, 80, []);
    expect(b.nextGap(10, 100)).toEqual([30, 50]);
    expect(b.nextGap(55, 100)).toEqual([80, 100]);
    expect(b.nextGap(55, 70)).toBeNull();
  });

  it('merges adjacent and overlapping stretches', () => {
    const b = new ReplayBuffer();
    b.add(50, 80, []);
    b.add(0, 30, []);
    b.add(30, 50, []);
    expect(b.coveredUntil(0)).toBe(80);
    b.add(70, 120, []);
    expect(b.coveredUntil(5)).toBe(120);
    expect(b.nextGap(0, 120)).toBeNull();
  });

  it('gives each attribute its latest value at or before the playhead', () => {
    const b = new ReplayBuffer();
    b.add(0, 100, [entity('g1', { waterLevel: [[10, 1.0], [20, 2.0], [40, 4.0]], flow: [[35, 9]] })]);
    expect(b.valuesAt('g1', 5)).toBeNull();
    expect(b.valuesAt('g1', 10)).toEqual({ waterLevel: 1.0 });
    expect(b.valuesAt('g1', 39)).toEqual({ waterLevel: 2.0, flow: 9 });
    expect(b.valuesAt('g1', 1000)).toEqual({ waterLevel: 4.0, flow: 9 });
    expect(b.valuesAt('unknown', 20)).toBeNull();
  });

  it('merges chunks of one entity, later fetches winning at the same instant', () => {
    const b = new ReplayBuffer();
    b.add(30, 60, [entity('g1', { waterLevel: [[40, 4], [50, 5]] })]);
    b.add(0, 30, [entity('g1', { waterLevel: [[10, 1], [20, 2]] })]);
    b.add(45, 60, [entity('g1', { waterLevel: [[50, 5.5]] })]);
    expect([10, 20, 40, 50].map((t) => b.valuesAt('g1', t)?.waterLevel)).toEqual([1, 2, 4, 5.5]);
    expect([...b.ids()]).toEqual(['g1']);
    b.clear();
    expect(b.valuesAt('g1', 50)).toBeNull();
    expect(b.nextGap(0, 10)).toEqual([0, 10]);
  });

  it('binary-searches sample lists', () => {
    const s: Sample[] = [1, 3, 3, 7].map((t) => ({ t, value: t }));
    expect(lastAtOrBefore(s, 0)).toBe(-1);
    expect(lastAtOrBefore(s, 3)).toBe(2);
    expect(lastAtOrBefore(s, 6)).toBe(2);
    expect(lastAtOrBefore(s, 9)).toBe(3);
    expect(lastAtOrBefore([], 9)).toBe(-1);
  });
});

import { describe, expect, it } from 'vitest';
import { type ChangeEvent, EntityStore, type KeyValues, primaryType, toRec } from '../../src/entities';

const NOW = Date.parse('2026-09-14T12:00:00Z');
const store = () => new EntityStore((e) => toRec(e, NOW, (lon) => (lon > 110 ? '460100' : null)));
const gauge = (id: string, waterLevel: number, lon = 110.3): KeyValues => ({
  id,
  type: 'WaterObserved',
  waterLevel,
  alertLevel: 5,
  dangerLevel: 6,
  location: { type: 'Point', coordinates: [lon, 20] },
});
const upsert = (lsn: number, e: KeyValues): ChangeEvent => ({ op: 'upsert', id: e.id, type: e.type as string, lsn, entity: e });

describe('records', () => {
  it('place an entity in its layer, county and state', () => {
    const r = toRec(gauge('g', 5.5), NOW, () => '460100');
    expect(r).toMatchObject({ layer: 'gauges', county: '460100', lon: 110.3, lat: 20, heading: null });
    expect(r?.state.label).toBe('state.alert');
    expect(r?.mx).toBeCloseTo((110.3 + 180) / 360);
  });
  it('keep vessels headings and park polygons, skip administrative areas', () => {
    const v = toRec({ id: 'v', type: 'Vessel', courseOverGround: 270, location: { type: 'Point', coordinates: [109, 18] } }, NOW, () => null);
    expect(v?.heading).toBe(270);
    const park = toRec({ id: 'p', type: 'Park', location: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 0]]] } }, NOW, () => null);
    expect(park).toMatchObject({ layer: 'park', lon: 1, lat: 1 });
    expect(park?.polygons).toHaveLength(1);
    expect(toRec({ id: 'a', type: 'AdministrativeArea' }, NOW, () => null)).toBeNull();
  });
  it('keep entities without a location (not drawn, still searchable)', () => {
    const r = toRec({ id: 'd', type: 'Device' }, NOW, () => null);
    expect(Number.isNaN(r?.mx)).toBe(true);
  });
  it('pick the type of a multi-typed entity that has a layer', () => {
    expect(primaryType(['Thing', 'Vessel'])).toBe('Vessel');
    expect(primaryType(['Thing'])).toBe('Thing');
  });
});

describe('stream and snapshot ordering', () => {
  it('ignores stream events older than the last applied one', () => {
    const s = store();
    expect(s.applyEvent(upsert(5, gauge('g', 5.5)))).toBe(true);
    expect(s.applyEvent(upsert(4, gauge('g', 1)))).toBe(false);
    expect(s.applyEvent(upsert(5, gauge('g', 1)))).toBe(false);
    expect(s.get('g')?.values.waterLevel).toBe(5.5);
    expect(s.applyEvent({ op: 'delete', id: 'g', lsn: 6, entity: null })).toBe(true);
    expect(s.get('g')).toBeUndefined();
    // A late duplicate from an overlapping connection must not bring it back.
    expect(s.applyEvent(upsert(5, gauge('g', 5.5)))).toBe(false);
  });

  it('lets the stream win over a snapshot that began before the event', () => {
    const s = store();
    s.applyEvent(upsert(10, gauge('a', 1)));
    const snap = s.beginSnapshot();
    s.applyEvent(upsert(11, gauge('a', 7)));
    s.applyPage(snap, [gauge('a', 1), gauge('b', 2)]);
    s.endSnapshot(snap, { types: new Set(['WaterObserved']), bbox: null }, true);
    expect(s.get('a')?.values.waterLevel).toBe(7);
    expect(s.get('b')?.values.waterLevel).toBe(2);
  });

  it('takes the snapshot for entities the stream last touched before it began', () => {
    const s = store();
    s.applyEvent(upsert(10, gauge('a', 1)));
    const snap = s.beginSnapshot();
    s.applyPage(snap, [gauge('a', 3)]);
    expect(s.get('a')?.values.waterLevel).toBe(3);
    expect(s.get('a')?.lsn).toBe(10);
    s.endSnapshot(snap, { types: new Set(['WaterObserved']), bbox: null }, true);
  });

  it('a complete snapshot removes what it no longer returns, within its scope only', () => {
    const s = store();
    const first = s.beginSnapshot();
    s.applyPage(first, [gauge('gone', 1), gauge('stays', 1), gauge('far', 1, 100), { id: 'v', type: 'Vessel' }]);
    s.endSnapshot(first, { types: new Set(['WaterObserved', 'Vessel']), bbox: null }, true);
    expect(s.size).toBe(4);
    const second = s.beginSnapshot();
    s.applyEvent(upsert(3, gauge('new', 1)));
    s.applyPage(second, [gauge('stays', 2)]);
    s.endSnapshot(second, { types: new Set(['WaterObserved']), bbox: [110, 19, 111, 21] }, true);
    expect(s.get('gone')).toBeUndefined();
    expect(s.get('stays')?.values.waterLevel).toBe(2);
    expect(s.get('far')).toBeDefined(); // outside the bbox
    expect(s.get('v')).toBeDefined(); // another type
    expect(s.get('new')).toBeDefined(); // the stream created it after the snapshot began
  });

  it('an incomplete snapshot removes nothing', () => {
    const s = store();
    const a = s.beginSnapshot();
    s.applyPage(a, [gauge('x', 1)]);
    s.endSnapshot(a, { types: new Set(['WaterObserved']), bbox: null }, true);
    const b = s.beginSnapshot();
    s.endSnapshot(b, { types: new Set(['WaterObserved']), bbox: null }, false);
    expect(s.get('x')).toBeDefined();
  });

  it('forgets ordering after a server restart, so new low lsns apply', () => {
    const s = store();
    s.applyEvent(upsert(900, gauge('a', 1)));
    s.resetOrdering();
    expect(s.applyEvent(upsert(1, gauge('a', 2)))).toBe(true);
  });

  it('tells listeners what changed and drops switched-off layers', () => {
    const s = store();
    const seen: (string | null)[] = [];
    s.onChange((id) => seen.push(id));
    s.applyEvent(upsert(1, gauge('a', 1)));
    s.applyEvent(upsert(2, { id: 'v', type: 'Vessel' }));
    s.dropLayers(new Set(['gauges']));
    expect(seen).toEqual(['a', 'v', null]);
    expect([...s.values()].map((r) => r.id)).toEqual(['v']);
  });

  it('re-assesses states that depend on the clock', () => {
    const s = store();
    const snap = s.beginSnapshot();
    s.applyPage(snap, [{ id: 'd', type: 'Device', dateLastValueReported: new Date(NOW - 60e3).toISOString() }]);
    s.endSnapshot(snap, { types: new Set(['Device']), bbox: null }, true);
    expect(s.get('d')?.state.label).toBe('state.normal');
    s.refresh(new Set(['devices']), NOW + 20 * 60e3);
    expect(s.get('d')?.state.label).toBe('state.silent');
  });
});

import { describe, expect, it } from 'vitest';
import { aggregationPeriod, contentRangeEnd, parseAggregated, parseTemporalValues } from '../../src/temporal';

describe('temporal answers', () => {
  it('reads the simplified temporalValues representation, GeoProperties included', () => {
    const m = parseTemporalValues({
      id: 'urn:x',
      type: 'Vessel',
      speedOverGround: { type: 'Property', values: [[12.5, '2026-09-14T01:00:00Z'], [11, '2026-09-14T00:00:00Z']] },
      location: { type: 'GeoProperty', values: [[{ type: 'Point', coordinates: [110, 19] }, '2026-09-14T00:30:00Z']] },
    });
    expect(m.get('speedOverGround')?.map((s) => s.value)).toEqual([11, 12.5]);
    expect(m.get('location')?.[0].value).toEqual({ type: 'Point', coordinates: [110, 19] });
    expect(m.has('id')).toBe(false);
  });

  it('reads the normalized representation (instances with observedAt)', () => {
    const m = parseTemporalValues({
      id: 'urn:x',
      waterLevel: [
        { type: 'Property', value: 2, observedAt: '2026-09-14T02:00:00Z', instanceId: 'b' },
        { type: 'Property', value: 1, observedAt: '2026-09-14T01:00:00Z', instanceId: 'a' },
        { type: 'Property', value: 9 },
      ],
    });
    expect(m.get('waterLevel')?.map((s) => s.value)).toEqual([1, 2]);
  });

  it('reads aggregatedValues and leaves empty periods out', () => {
    const m = parseAggregated(
      {
        id: 'urn:x',
        type: 'WaterObserved',
        waterLevel: {
          type: 'Property',
          avg: [[2.5, '2026-09-14T01:00:00Z', '2026-09-14T02:00:00Z'], [null, '2026-09-14T00:00:00Z', '2026-09-14T01:00:00Z'], [1.5, '2026-09-14T00:00:00Z', '2026-09-14T01:00:00Z']],
          max: [[3, '2026-09-14T01:00:00Z', '2026-09-14T02:00:00Z']],
        },
        name: { type: 'Property', value: 'not aggregated' },
      },
      ['avg', 'min', 'max'],
    );
    const w = m.get('waterLevel');
    expect(w?.avg.map((b) => b.value)).toEqual([1.5, 2.5]);
    expect(w && w.avg[0].end - w.avg[0].start).toBe(3600e3);
    expect(w?.max).toHaveLength(1);
    expect(w?.min).toEqual([]);
    expect(m.has('name')).toBe(false);
  });

  it('chooses an aggregation period that fits the chart', () => {
    expect(aggregationPeriod(3600e3)).toBe('PT1M');
    expect(aggregationPeriod(3 * 3600e3)).toBe('PT5M');
    expect(aggregationPeriod(12 * 3600e3)).toBe('PT10M');
    expect(aggregationPeriod(24 * 3600e3)).toBe('PT15M');
    expect(aggregationPeriod(365 * 86400e3)).toBe('P1D');
  });

  it('reads the continuation of a partial answer from Content-Range', () => {
    expect(contentRangeEnd('DateTime 2026-09-14T00:00:00Z-2026-09-14T05:00:00Z/*')).toBe(Date.parse('2026-09-14T05:00:00Z'));
    expect(contentRangeEnd('DateTime 2026-09-14T00:00:00.000+08:00-2026-09-14T05:00:00.000+08:00/100')).toBe(Date.parse('2026-09-14T05:00:00+08:00'));
    expect(contentRangeEnd('items 0-9/100')).toBeNull();
    expect(contentRangeEnd(null)).toBeNull();
  });
});

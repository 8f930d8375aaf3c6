import { describe, expect, it } from 'vitest';
import { segments } from '../../src/chart';
import { type KeyValues, toRec } from '../../src/entities';
import { searchRecs } from '../../src/search';
import { AT_SEA, summarise, worstText } from '../../src/summary';

const NOW = Date.parse('2026-09-14T12:00:00Z');
const rec = (e: KeyValues, county: string | null = '460100') => {
  const r = toRec({ location: { type: 'Point', coordinates: [110.3, 20] }, ...e }, NOW, () => county);
  if (!r) throw new Error('no record');
  return r;
};
const recs = [
  rec({ id: 'urn:ngsi-ld:WaterObserved:nandu-1', type: 'WaterObserved', name: '南渡江龙塘站', alternateName: 'Nandu Longtang', waterLevel: 6.2, alertLevel: 5, dangerLevel: 6 }),
  rec({ id: 'urn:ngsi-ld:WaterObserved:nandu-2', type: 'WaterObserved', name: '南渡江2号站', waterLevel: 4, alertLevel: 5, dangerLevel: 6 }),
  rec({ id: 'urn:ngsi-ld:AirQualityObserved:hk-1', type: 'AirQualityObserved', name: '海口站', aqi: 80 }),
  rec({ id: 'urn:ngsi-ld:AirQualityObserved:sy-1', type: 'AirQualityObserved', aqi: 160 }, '460200'),
  rec({ id: 'urn:ngsi-ld:Vessel:412000001', type: 'Vessel', name: 'QIONG SHA 3' }, null),
];

describe('search', () => {
  it('ranks exact ids, then id prefixes, names, substrings and types', () => {
    expect(searchRecs(recs, 'urn:ngsi-ld:AirQualityObserved:hk-1')[0].rec.id).toBe('urn:ngsi-ld:AirQualityObserved:hk-1');
    expect(searchRecs(recs, '南渡江').map((h) => h.rec.id)).toEqual(['urn:ngsi-ld:WaterObserved:nandu-1', 'urn:ngsi-ld:WaterObserved:nandu-2']);
    expect(searchRecs(recs, 'longtang')[0].rec.id).toBe('urn:ngsi-ld:WaterObserved:nandu-1');
    expect(searchRecs(recs, 'vessel').map((h) => h.rec.id)).toEqual(['urn:ngsi-ld:Vessel:412000001']);
    expect(searchRecs(recs, '  ')).toEqual([]);
    expect(searchRecs(recs, 'urn', 2)).toHaveLength(2);
  });
});

describe('county summary', () => {
  it('counts per layer and keeps the worst entity, worst county first', () => {
    const rows = summarise(recs);
    expect(rows.map((r) => r.key)).toEqual(['460100', '460200', AT_SEA]);
    const haikou = rows[0];
    expect(haikou.total).toBe(3);
    expect(haikou.layers.get('gauges')).toMatchObject({ count: 2 });
    expect(haikou.layers.get('gauges')?.worst.id).toBe('urn:ngsi-ld:WaterObserved:nandu-1');
    expect(haikou.worstRank).toBe(3);
    expect(rows[1].layers.get('air')?.worst.state.label).toBe('aqi.moderate');
  });
  it('writes the worst value with its unit and state', () => {
    expect(worstText(recs[0])).toBe('水位 6.2 m · 超危险水位');
  });
});

describe('chart segments', () => {
  it('breaks the line where periods are missing', () => {
    const b = (start: number) => ({ start, end: start + 10, value: start });
    expect(segments([b(0), b(10), b(20), b(50), b(60)]).map((s) => s.length)).toEqual([3, 2]);
    expect(segments([])).toEqual([]);
  });
});

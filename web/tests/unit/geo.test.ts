import { describe, expect, it } from 'vitest';
import { bboxContains, latOfMercY, lonOfMercX, mercX, mercY, padBbox, pointInPolygon, representativePoint } from '../../src/geo';
import { layerOf, localType, typesOfLayers } from '../../src/layers';
import { CountyIndex, countyByAdcode, countyName } from '../../src/counties';

describe('geometry', () => {
  it('projects to Web Mercator and back', () => {
    expect(mercX(0)).toBe(0.5);
    expect(mercY(0)).toBeCloseTo(0.5);
    expect(lonOfMercX(mercX(110.3))).toBeCloseTo(110.3, 9);
    expect(latOfMercY(mercY(19.2))).toBeCloseTo(19.2, 9);
  });
  it('tests points against polygons with holes', () => {
    const square = [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]] as [number, number][][];
    expect(pointInPolygon(square, 2, 2)).toBe(true);
    expect(pointInPolygon(square, 5, 5)).toBe(false);
    expect(pointInPolygon(square, 11, 5)).toBe(false);
  });
  it('finds a point for any geometry', () => {
    expect(representativePoint({ type: 'Point', coordinates: [1, 2] })).toEqual([1, 2]);
    expect(representativePoint({ type: 'LineString', coordinates: [[0, 0], [1, 1], [2, 2]] })).toEqual([1, 1]);
    expect(representativePoint({ type: 'MultiPolygon', coordinates: [[[[0, 0], [4, 0], [4, 2], [0, 0]]]] })).toEqual([2, 1]);
    expect(representativePoint({ type: 'Point' })).toBeNull();
    expect(representativePoint(undefined)).toBeNull();
  });
  it('pads and compares boxes', () => {
    expect(padBbox([108, 18, 112, 20], 0.5)).toEqual([106, 17, 114, 21]);
    expect(padBbox([-179, -89, 179, 89], 1)).toEqual([-180, -90, 180, 90]);
    expect(bboxContains([106, 17, 114, 21], [108, 18, 112, 20])).toBe(true);
    expect(bboxContains([108, 18, 112, 20], [106, 17, 114, 21])).toBe(false);
  });
});

describe('layers', () => {
  it('places Smart Data Models types, full IRIs included', () => {
    expect(layerOf('WaterObserved')).toBe('gauges');
    expect(layerOf('https://smartdatamodels.org/dataModel.Environment/AirQualityObserved')).toBe('air');
    expect(layerOf('SeaConditions')).toBe('weather');
    expect(layerOf('Vessel')).toBe('vessels');
    expect(layerOf('RangerTracker')).toBe('park');
    expect(layerOf('OffStreetParking')).toBe('other');
    expect(layerOf('Alert')).toBe('other');
    expect(layerOf('AdministrativeArea')).toBeNull();
    expect(localType('urn:x:y:Device')).toBe('Device');
  });
  it('lists the types of some layers', () => {
    const all = ['WaterObserved', 'Vessel', 'Alert', 'AdministrativeArea'];
    expect(typesOfLayers(all, new Set(['gauges', 'other']))).toEqual(['WaterObserved', 'Alert']);
  });
});

describe('counties', () => {
  const index = new CountyIndex([
    { adcode: '460100', polygons: [[[[110, 19.8], [110.7, 19.8], [110.7, 20.2], [110, 20.2], [110, 19.8]]]] },
    { adcode: '460300', polygons: [[[[111, 15], [113, 15], [113, 17], [111, 17], [111, 15]]], [[[116, 9], [117, 9], [117, 10], [116, 9]]]] },
  ]);
  it('finds the county of a point, null at sea', () => {
    expect(index.countyAt(110.3, 20)).toBe('460100');
    expect(index.countyAt(110.3, 20)).toBe('460100');
    expect(index.countyAt(112, 16)).toBe('460300');
    expect(index.countyAt(109, 17)).toBeNull();
    expect(index.bboxOf('460300')).toEqual([111, 9, 117, 17]);
  });
  it('names counties by 6- or 12-digit adcode, in full or short', () => {
    const c = countyByAdcode('469030000000');
    expect(c && countyName(c, 'zh')).toBe('琼中黎族苗族自治县');
    expect(c && countyName(c, 'en', true)).toBe('Qiongzhong');
    expect(countyByAdcode('110000')).toBeUndefined();
  });
});

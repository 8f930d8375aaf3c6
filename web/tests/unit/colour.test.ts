import { describe, expect, it } from 'vitest';
import { RANK_COLOURS, SILENT_AFTER_MS, UNKNOWN_COLOUR, aqiCategory, assess, num, worst } from '../../src/colour';

const NOW = Date.parse('2026-09-14T12:00:00Z');

describe('water level against alert and danger levels', () => {
  const gauge = (waterLevel: unknown) => assess('gauges', { waterLevel, alertLevel: 5, dangerLevel: 6.5 }, NOW);
  it('is normal below the alert level', () => {
    expect(gauge(4.99)).toMatchObject({ rank: 0, label: 'state.normal', colour: RANK_COLOURS[0], attr: 'waterLevel', value: 4.99 });
  });
  it('is an alert from the alert level up', () => {
    expect(gauge(5)).toMatchObject({ rank: 2, label: 'state.alert' });
    expect(gauge(6.49).rank).toBe(2);
  });
  it('is danger from the danger level up', () => {
    expect(gauge(6.5)).toMatchObject({ rank: 3, label: 'state.danger', colour: RANK_COLOURS[3] });
  });
  it('is unknown without a level or without thresholds', () => {
    expect(gauge(undefined)).toMatchObject({ rank: -1, colour: UNKNOWN_COLOUR });
    expect(assess('gauges', { waterLevel: 3 }, NOW).rank).toBe(-1);
  });
  it('reads numeric strings', () => {
    expect(gauge('7').rank).toBe(3);
  });
  it('reads FloodMonitoring currentLevel the same way', () => {
    expect(assess('gauges', { currentLevel: 5.2, alertLevel: 5, dangerLevel: 6.5 }, NOW)).toMatchObject({ rank: 2, label: 'state.alert' });
  });
});

describe('AQI categories (HJ 633)', () => {
  it.each([
    [0, 0], [50, 0], [51, 1], [100, 1], [101, 2], [150, 2], [151, 3], [200, 3], [201, 4], [300, 4], [301, 5], [500, 5],
  ])('AQI %i is category %i', (aqi, rank) => {
    expect(aqiCategory(aqi)).toBe(rank);
    expect(assess('air', { aqi }, NOW).colour).toBe(RANK_COLOURS[rank]);
  });
  it('labels the categories', () => {
    expect(assess('air', { aqi: 160 }, NOW).label).toBe('aqi.moderate');
    expect(assess('air', { aqi: 320 }, NOW).label).toBe('aqi.severe');
  });
});

describe('traffic, weather and sea', () => {
  it('colours congestion', () => {
    expect(assess('traffic', { congested: true, averageVehicleSpeed: 12 }, NOW)).toMatchObject({ rank: 3, label: 'state.congested', value: 12 });
    expect(assess('traffic', { congested: false }, NOW)).toMatchObject({ rank: 0, label: 'state.freeFlow' });
    expect(assess('traffic', {}, NOW).rank).toBe(-1);
  });
  it('takes the worst of wind, rain and waves', () => {
    expect(assess('weather', { windSpeed: 5, precipitation: 0 }, NOW).rank).toBe(0);
    expect(assess('weather', { windSpeed: 33, precipitation: 20 }, NOW)).toMatchObject({ rank: 4, label: 'state.typhoon', attr: 'windSpeed' });
    expect(assess('weather', { windSpeed: 5, precipitation: 55 }, NOW)).toMatchObject({ rank: 3, label: 'state.torrentialRain' });
    expect(assess('weather', { waveHeight: 4.2 }, NOW)).toMatchObject({ rank: 3, label: 'state.highSea' });
  });
});

describe('devices', () => {
  const recent = new Date(NOW - 60e3).toISOString();
  it('are silent when nothing came for a while, drawn hollow', () => {
    const old = new Date(NOW - SILENT_AFTER_MS - 1).toISOString();
    expect(assess('devices', { dateLastValueReported: old }, NOW)).toMatchObject({ label: 'state.silent', hollow: true, colour: UNKNOWN_COLOUR });
    expect(assess('devices', { dateLastValueReported: recent }, NOW)).toMatchObject({ label: 'state.normal', hollow: false });
  });
  it('report faults before silence and low batteries', () => {
    expect(assess('devices', { deviceState: 'Broken', batteryLevel: 0.05 }, NOW).label).toBe('state.fault');
    expect(assess('devices', { dateLastValueReported: recent, batteryLevel: 0.1 }, NOW).label).toBe('state.lowBattery');
    expect(assess('devices', { batteryLevel: 12 }, NOW).label).toBe('state.lowBattery');
    expect(assess('devices', { batteryLevel: 80 }, NOW).label).toBe('state.normal');
  });
});

describe('others', () => {
  it('vessels are coloured by motion, never unknown', () => {
    expect(assess('vessels', { speedOverGround: 12 }, NOW).label).toBe('state.underway');
    expect(assess('vessels', { speedOverGround: 0.1 }, NOW).label).toBe('state.stationary');
  });
  it('unknown types use an Alert-style severity when they have one', () => {
    expect(assess('other', { severity: 'critical' }, NOW).rank).toBe(4);
    expect(assess('other', { foo: 1 }, NOW).rank).toBe(-1);
  });
  it('worst picks the highest rank, the first of equals', () => {
    const a = assess('air', { aqi: 120 }, NOW);
    const b = assess('air', { aqi: 140 }, NOW);
    expect(worst([a, b])).toBe(a);
    expect(worst([])).toBeUndefined();
  });
  it('num accepts numbers and numeric strings only', () => {
    expect(num(3)).toBe(3);
    expect(num(' 4.5 ')).toBe(4.5);
    expect(num('')).toBeNull();
    expect(num(NaN)).toBeNull();
    expect(num(true)).toBeNull();
  });
});

// How bad is it? Turns an entity's current values into a state: a rank for "worst first", a colour
// for the marker and a label for people. One scale for every layer, the six colours of China's air
// quality categories (HJ 633), so the legend reads the same for rivers, wind, waves and air.

import type { MessageKey } from './i18n';
import type { LayerId } from './layers';

/** Rank 0 (normal) to 5 (extreme); -1 when the values don't tell. */
export type Rank = -1 | 0 | 1 | 2 | 3 | 4 | 5;

export interface Assessment {
  rank: Rank;
  colour: string;
  label: MessageKey;
  /** Drawn as a ring rather than a disc: the state is about missing data (a silent device). */
  hollow: boolean;
  /** The attribute that decided the state and its value, for "worst value" lists. */
  attr?: string;
  value?: number;
}

/** HJ 633 category colours, used as the severity scale of every layer. */
export const RANK_COLOURS = ['#00e400', '#ffff00', '#ff7e00', '#ff0000', '#99004c', '#7e0023'] as const;
export const UNKNOWN_COLOUR = '#9aa7b4';
const VESSEL_MOVING = '#4cc9f0';
const VESSEL_STILL = '#b8c4d0';

/** A device that has reported nothing for this long is shown as silent. */
export const SILENT_AFTER_MS = 15 * 60 * 1000;

type Values = Readonly<Record<string, unknown>>;

/** A finite number from a number or numeric string, else null ("—" in the inspector). */
export function num(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function state(rank: Rank, label: MessageKey, attr?: string, value?: number | null): Assessment {
  const a: Assessment = { rank, label, hollow: false, colour: rank < 0 ? UNKNOWN_COLOUR : RANK_COLOURS[rank as Exclude<Rank, -1>] };
  if (attr !== undefined && value !== undefined && value !== null) {
    a.attr = attr;
    a.value = value;
  }
  return a;
}

const UNKNOWN = state(-1, 'state.unknown');

/** China's AQI categories (HJ 633-2012): upper bounds of 优, 良, 轻度, 中度, 重度; above is 严重. */
const AQI_BOUNDS = [50, 100, 150, 200, 300];
const AQI_LABELS: readonly MessageKey[] = ['aqi.excellent', 'aqi.good', 'aqi.light', 'aqi.moderate', 'aqi.heavy', 'aqi.severe'];

export function aqiCategory(aqi: number): Rank {
  const i = AQI_BOUNDS.findIndex((b) => aqi <= b);
  return (i < 0 ? 5 : i) as Rank;
}

function assessAir(e: Values): Assessment {
  const aqi = num(e.aqi);
  if (aqi === null) return UNKNOWN;
  const rank = aqiCategory(aqi);
  return state(rank, AQI_LABELS[rank], 'aqi', aqi);
}

function assessWater(e: Values): Assessment {
  // WaterObserved reports waterLevel; FloodMonitoring (the Smart Data Model the demo's gauges
  // use) reports currentLevel against the same alert and danger levels.
  const level = num(e.waterLevel) ?? num(e.currentLevel);
  const alert = num(e.alertLevel);
  const danger = num(e.dangerLevel);
  if (level === null) return UNKNOWN;
  if (danger !== null && level >= danger) return state(3, 'state.danger', 'waterLevel', level);
  if (alert !== null && level >= alert) return state(2, 'state.alert', 'waterLevel', level);
  if (alert === null && danger === null) return state(-1, 'state.unknown', 'waterLevel', level);
  return state(0, 'state.normal', 'waterLevel', level);
}

/** Thresholds ascending: [lower bound, rank, label]. */
type Scale = readonly (readonly [number, Rank, MessageKey])[];
// Beaufort 6, 8, 10, 12 in m/s: China's strong-wind, gale, storm and typhoon-force grades.
const WIND: Scale = [
  [10.8, 1, 'state.strongWind'],
  [17.2, 2, 'state.gale'],
  [24.5, 3, 'state.storm'],
  [32.7, 4, 'state.typhoon'],
];
// Hourly rainfall (mm): 16 is China's short-duration heavy rain, 50 torrential.
const RAIN: Scale = [
  [16, 2, 'state.heavyRain'],
  [50, 3, 'state.torrentialRain'],
];
// Significant wave height (m), China's sea-state grades 中浪, 大浪, 巨浪.
const WAVES: Scale = [
  [1.25, 1, 'state.moderateSea'],
  [2.5, 2, 'state.roughSea'],
  [4, 3, 'state.highSea'],
];

function onScale(scale: Scale, attr: string, v: number): Assessment {
  let a = state(0, 'state.normal', attr, v);
  for (const [bound, rank, label] of scale) if (v >= bound) a = state(rank, label, attr, v);
  return a;
}

function assessWeather(e: Values): Assessment {
  const parts: Assessment[] = [];
  for (const [attr, scale] of [
    ['windSpeed', WIND],
    ['precipitation', RAIN],
    ['waveHeight', WAVES],
  ] as const) {
    const v = num(e[attr]);
    if (v !== null) parts.push(onScale(scale, attr, v));
  }
  return worst(parts) ?? UNKNOWN;
}

function assessTraffic(e: Values): Assessment {
  const speed = num(e.averageVehicleSpeed);
  if (e.congested === true || e.congested === 'true') return state(3, 'state.congested', 'averageVehicleSpeed', speed);
  if (e.congested === false || e.congested === 'false') return state(0, 'state.freeFlow', 'averageVehicleSpeed', speed);
  return UNKNOWN;
}

function assessVessel(e: Values): Assessment {
  const sog = num(e.speedOverGround);
  const moving = sog === null || sog >= 0.5;
  return {
    ...state(0, moving ? 'state.underway' : 'state.stationary', 'speedOverGround', sog),
    colour: moving ? VESSEL_MOVING : VESSEL_STILL,
  };
}

const FAULT_STATES = new Set(['broken', 'error', 'fault', 'failed', 'malfunction', 'outofservice']);

/** Devices and trackers: a fault, silence (nothing reported lately) or a low battery. */
function assessDevice(e: Values, now: number): Assessment {
  if (typeof e.deviceState === 'string' && FAULT_STATES.has(e.deviceState.toLowerCase())) return state(3, 'state.fault');
  const last = typeof e.dateLastValueReported === 'string' ? Date.parse(e.dateLastValueReported) : NaN;
  if (Number.isFinite(last) && now - last > SILENT_AFTER_MS) return { ...state(2, 'state.silent'), colour: UNKNOWN_COLOUR, hollow: true };
  const battery = num(e.batteryLevel);
  // Smart Data Models give batteryLevel as a fraction; some devices report percent.
  if (battery !== null && (battery > 1 ? battery / 100 : battery) < 0.15) return state(1, 'state.lowBattery', 'batteryLevel', battery);
  return state(0, 'state.normal');
}

const SEVERITIES: Readonly<Record<string, readonly [Rank, MessageKey]>> = {
  informational: [0, 'state.informational'],
  low: [1, 'state.low'],
  medium: [2, 'state.medium'],
  high: [3, 'state.high'],
  critical: [4, 'state.critical'],
};

/** Entities of types we do not know: an Alert-style `severity` if there is one. */
function assessOther(e: Values): Assessment {
  const s = typeof e.severity === 'string' ? SEVERITIES[e.severity.toLowerCase()] : undefined;
  return s ? state(s[0], s[1]) : UNKNOWN;
}

/** The state of an entity of `layer` with keyValues `e`, at time `now` (ms; replay time in replay). */
export function assess(layer: LayerId, e: Values, now: number): Assessment {
  switch (layer) {
    case 'gauges':
      return assessWater(e);
    case 'air':
      return assessAir(e);
    case 'weather':
      return assessWeather(e);
    case 'traffic':
      return assessTraffic(e);
    case 'vessels':
      return assessVessel(e);
    case 'devices':
      return assessDevice(e, now);
    case 'park':
      return 'dateLastValueReported' in e || 'batteryLevel' in e ? assessDevice(e, now) : state(0, 'state.normal');
    case 'other':
      return assessOther(e);
  }
}

/** The worst of several states (the first of equals), or undefined for none. */
export function worst(states: Iterable<Assessment>): Assessment | undefined {
  let w: Assessment | undefined;
  for (const s of states) if (!w || s.rank > w.rank) w = s;
  return w;
}

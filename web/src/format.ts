// Numbers, units, times and names as people read them, in the interface language.
// Times are shown in Hainan's time zone whatever the browser's, since that is the clock the
// operations centre and its reports run on.

import type { KeyValues } from './entities';
import { type Lang, lang, t } from './i18n';

export const TIME_ZONE = 'Asia/Shanghai';
export const MISSING = '—';

/** UN/CEFACT Common Codes (NGSI-LD `unitCode`) of the units the scenario uses. */
const UNITS: Readonly<Record<string, string>> = {
  MTR: 'm',
  CMT: 'cm',
  MMT: 'mm',
  KMT: 'km',
  MQS: 'm³/s',
  MTS: 'm/s',
  KMH: 'km/h',
  KNT: 'kn',
  CEL: '°C',
  P1: '%',
  A97: 'hPa',
  HPA: 'hPa',
  GQ: 'µg/m³',
  DD: '°',
  SEC: 's',
  MIN: 'min',
  HUR: 'h',
  VLT: 'V',
  '2N': 'dB',
};

/** Units of attributes whose Smart Data Model fixes them, for values sent without `unitCode`. */
const DEFAULT_UNITS: Readonly<Record<string, string>> = {
  waterLevel: 'MTR',
  currentLevel: 'MTR',
  alertLevel: 'MTR',
  dangerLevel: 'MTR',
  waveHeight: 'MTR',
  flow: 'MQS',
  windSpeed: 'MTS',
  temperature: 'CEL',
  seaSurfaceTemperature: 'CEL',
  precipitation: 'MMT',
  courseOverGround: 'DD',
  windDirection: 'DD',
  speedOverGround: 'KNT',
  averageVehicleSpeed: 'KMH',
  pm25: 'GQ',
  pm10: 'GQ',
  no2: 'GQ',
  o3: 'GQ',
  so2: 'GQ',
};

/** The symbol of a unit code (the code itself when we do not know it). */
export function unitSymbol(unitCode: string | undefined, attr: string): string {
  const code = unitCode ?? DEFAULT_UNITS[attr];
  return code ? (UNITS[code] ?? code) : '';
}

function locale(l: Lang): string {
  return l === 'zh' ? 'zh-CN' : 'en-GB';
}

/** A number with at most 2 decimals (3 significant digits for small values) and its unit. */
export function formatNumber(v: number, unit = ''): string {
  const digits = Math.abs(v) < 10 && v !== Math.trunc(v) ? 2 : Math.abs(v) < 100 ? 1 : 0;
  const text = new Intl.NumberFormat(locale(lang()), { maximumFractionDigits: digits }).format(v);
  if (!unit) return text;
  return unit === '°' || unit === '%' ? `${text}${unit}` : `${text} ${unit}`;
}

/** Date and time in Hainan, to the second. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING;
  return new Intl.DateTimeFormat(locale(lang()), {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(ms);
}

/** Hours and minutes in Hainan, for axes and the time slider. */
export function formatClock(ms: number): string {
  return new Intl.DateTimeFormat(locale(lang()), { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hour12: false }).format(ms);
}

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

/** A Property value for reading: numbers with units, booleans in words, dates in local time. */
export function formatValue(v: unknown, unit = ''): string {
  if (v === null || v === undefined || v === '') return MISSING;
  if (typeof v === 'number') return formatNumber(v, unit);
  if (typeof v === 'boolean') return t(v ? 'value.true' : 'value.false');
  if (typeof v === 'string') return ISO_DATE.test(v) && Number.isFinite(Date.parse(v)) ? formatTime(Date.parse(v)) : v;
  if (Array.isArray(v)) return v.map((x) => formatValue(x, unit)).join(', ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // A DateTime as JSON-LD writes it: {"@type": "DateTime", "@value": "..."}.
    if ('@value' in o) return formatValue(o['@value'], unit);
    return JSON.stringify(v);
  }
  return String(v);
}

/** Latitude and longitude of a point, the way charts and officers write them. */
export function formatPoint(lon: number, lat: number): string {
  const ns = lat >= 0 ? 'N' : 'S';
  const ew = lon >= 0 ? 'E' : 'W';
  return `${Math.abs(lat).toFixed(4)}°${ns}, ${Math.abs(lon).toFixed(4)}°${ew}`;
}

/** A name that may be a plain string or a LanguageProperty map ({"zh": ..., "en": ...}). */
export function localText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const map = v as Record<string, unknown>;
    const pick = map[lang()] ?? map[lang() === 'zh' ? 'zh-CN' : 'en-GB'] ?? Object.values(map)[0];
    return typeof pick === 'string' ? pick : null;
  }
  return null;
}

const HAN = /\p{Script=Han}/u;

/** What to call an entity: of `name` and `alternateName`, the one written in the interface
 *  language's script (the scenario names places in Chinese with an English alternate), else its id. */
export function displayName(e: KeyValues): string {
  const names = [localText(e.name), localText(e.alternateName)].filter((n): n is string => !!n);
  const wantHan = lang() === 'zh';
  return names.find((n) => HAN.test(n) === wantHan) ?? names[0] ?? e.id;
}

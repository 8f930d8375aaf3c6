// Reading the NGSI-LD temporal API's answers (pure: no fetching here).
// The simplified representations are what we ask for (`options=temporalValues` and
// `options=aggregatedValues`); the normalized one (an array of instances per attribute) is read
// too, so a server that ignores the option still works.

/** One value of an attribute at a time (ms since the epoch). */
export interface Sample {
  t: number;
  value: unknown;
}

/** One aggregation period. */
export interface Bucket {
  start: number;
  end: number;
  value: number;
}

export type AggrMethod = 'avg' | 'min' | 'max';

/** Members of an entity that are not attributes. */
const NOT_ATTRIBUTES = new Set(['id', 'type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt']);

function attributes(entity: unknown): [string, unknown][] {
  if (typeof entity !== 'object' || entity === null) return [];
  return Object.entries(entity).filter(([k]) => !NOT_ATTRIBUTES.has(k));
}

function time(v: unknown): number {
  return typeof v === 'string' ? Date.parse(v) : NaN;
}

/** Samples of one attribute, in either representation, sorted by time. */
function samplesOf(attr: unknown): Sample[] {
  const out: Sample[] = [];
  // A list of instances per attribute (normalized), possibly several per attribute (datasetId).
  const instances = Array.isArray(attr) ? attr : [attr];
  for (const inst of instances) {
    if (typeof inst !== 'object' || inst === null) continue;
    const o = inst as Record<string, unknown>;
    if (Array.isArray(o.values)) {
      for (const pair of o.values) {
        if (Array.isArray(pair) && pair.length >= 2) out.push({ value: pair[0], t: time(pair[1]) });
      }
    } else if ('value' in o || 'object' in o) {
      const at = o.observedAt ?? o.modifiedAt ?? o.createdAt;
      out.push({ value: 'value' in o ? o.value : o.object, t: time(at) });
    }
  }
  return out.filter((s) => Number.isFinite(s.t)).sort((a, b) => a.t - b.t);
}

/** The samples of every attribute of one temporal entity. */
export function parseTemporalValues(entity: unknown): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const [name, attr] of attributes(entity)) {
    const s = samplesOf(attr);
    if (s.length > 0) out.set(name, s);
  }
  return out;
}

/** The numeric aggregates of every attribute of one temporal entity, per method, by period start. */
export function parseAggregated(entity: unknown, methods: readonly AggrMethod[]): Map<string, Record<AggrMethod, Bucket[]>> {
  const out = new Map<string, Record<AggrMethod, Bucket[]>>();
  for (const [name, attr] of attributes(entity)) {
    if (typeof attr !== 'object' || attr === null) continue;
    const per = { avg: [], min: [], max: [] } as Record<AggrMethod, Bucket[]>;
    let any = false;
    for (const m of methods) {
      const rows = (attr as Record<string, unknown>)[m];
      if (!Array.isArray(rows)) continue;
      for (const row of rows) {
        if (!Array.isArray(row)) continue;
        const value = typeof row[0] === 'number' ? row[0] : Number(row[0]);
        const start = time(row[1]);
        const end = row.length > 2 ? time(row[2]) : start;
        // Periods without instances come back with a null value: a gap, not a zero.
        if (row[0] === null || !Number.isFinite(value) || !Number.isFinite(start)) continue;
        per[m].push({ start, end: Number.isFinite(end) ? end : start, value });
        any = true;
      }
      per[m].sort((a, b) => a.start - b.start);
    }
    if (any) out.set(name, per);
  }
  return out;
}

/** ISO 8601 durations the aggregation offers, shortest first, with their length in ms. */
const PERIODS: readonly (readonly [string, number])[] = [
  ['PT1M', 60e3],
  ['PT5M', 300e3],
  ['PT10M', 600e3],
  ['PT15M', 900e3],
  ['PT30M', 1800e3],
  ['PT1H', 3600e3],
  ['PT3H', 10800e3],
  ['PT6H', 21600e3],
  ['P1D', 86400e3],
];

/** The shortest period that splits `spanMs` into at most `maxBuckets` (a chart's width in points). */
export function aggregationPeriod(spanMs: number, maxBuckets = 120): string {
  return (PERIODS.find(([, ms]) => spanMs / ms <= maxBuckets) ?? PERIODS[PERIODS.length - 1])[0];
}

/** The continuation of a partial (206) temporal answer: its `Content-Range` end, if forwards. */
export function contentRangeEnd(header: string | null): number | null {
  // "DateTime 2026-09-14T00:00:00Z-2026-09-14T05:00:00Z/*": the dates contain '-' themselves.
  const m = header?.match(/^DateTime\s+(\S+?(?:Z|[+-]\d\d:\d\d))-(\S+?(?:Z|[+-]\d\d:\d\d))(?:\/|$)/);
  if (!m) return null;
  const end = Date.parse(m[2]);
  return Number.isFinite(end) ? end : null;
}

// The twinisle HTTP APIs the dashboard reads, all same-origin and public: NGSI-LD
// (`/ngsi-ld/v1`, JSON with the core context) and the change stream (`/twinisle/v1/stream`).
// Every failure becomes an ApiError carrying the HTTP status (0 when the server is unreachable).

import type { KeyValues } from './entities';
import { type Bbox, bboxPolygon } from './geo';
import { type AggrMethod, type Bucket, type Sample, contentRangeEnd, parseAggregated, parseTemporalValues } from './temporal';

/**
 * History is read by the time the twin received each value (`modifiedAt`), not the time devices
 * claim (`observedAt`): the operations screen shows what it knew when, which also holds for
 * devices with wrong clocks and for the demo's accelerated simulated time.
 */
const RECEIVED = 'modifiedAt';

const NGSI = '/ngsi-ld/v1';
const STREAM = '/twinisle/v1/stream';
/** The largest page the broker serves. */
export const PAGE_SIZE = 1000;
/** Entities per page of a temporal query: each carries many instances. */
const TEMPORAL_PAGE = 100;
/** Follow-ups of a partial (206) temporal answer before we settle for what we have. */
const MAX_CONTINUATIONS = 20;

export class ApiError extends Error {
  constructor(
    /** HTTP status, or 0 when no answer came. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Which entities to list: some types, optionally only those intersecting a bbox. */
export interface EntityQuery {
  types: readonly string[];
  bbox: Bbox | null;
}

export interface TemporalEntity {
  id: string;
  type: string;
  attrs: Map<string, Sample[]>;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class Api {
  /** `tenant`: the NGSI-LD tenant to read, null for the default one. */
  constructor(readonly tenant: string | null) {}

  private async get(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const query = new URLSearchParams(params).toString();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.tenant) headers['NGSILD-Tenant'] = this.tenant;
    let res: Response;
    try {
      res = await fetch(query ? `${path}?${query}` : path, { headers, signal });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ApiError(0, e instanceof Error ? e.message : String(e));
    }
    if (!res.ok) throw new ApiError(res.status, await problemText(res));
    return res;
  }

  /** The entity types present in the twin. */
  async types(signal?: AbortSignal): Promise<string[]> {
    const body: unknown = await (await this.get(`${NGSI}/types`, {}, signal)).json();
    // EntityTypeList (the default) or an array of EntityType objects (details=true servers).
    if (Array.isArray(body)) return body.map((t) => (typeof t === 'string' ? t : String(t?.typeName ?? t?.id ?? ''))).filter(Boolean);
    const list = (body as { typeList?: unknown })?.typeList;
    return Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string') : [];
  }

  /** One page of entities in keyValues form, with the total count when `count` is asked. */
  async entityPage(q: EntityQuery, offset: number, count: boolean, signal?: AbortSignal): Promise<{ entities: KeyValues[]; total: number | null }> {
    const params: Record<string, string> = {
      type: q.types.join(','),
      options: 'keyValues',
      limit: String(PAGE_SIZE),
      offset: String(offset),
    };
    if (count) params.count = 'true';
    if (q.bbox) {
      // `intersects` rather than `within`: a park polygon half in view is in view.
      params.georel = 'intersects';
      params.geometry = 'Polygon';
      params.coordinates = JSON.stringify(bboxPolygon(q.bbox));
    }
    const res = await this.get(`${NGSI}/entities`, params, signal);
    const total = Number(res.headers.get('NGSILD-Results-Count'));
    const body: unknown = await res.json();
    return { entities: Array.isArray(body) ? (body as KeyValues[]) : [], total: count && Number.isFinite(total) && res.headers.has('NGSILD-Results-Count') ? total : null };
  }

  /** One entity, normalized (attributes with their type, unitCode, observedAt...). */
  async entity(id: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return (await this.get(`${NGSI}/entities/${encodeURIComponent(id)}`, {}, signal)).json();
  }

  /** avg/min/max of every attribute of `id` over [from, to] by `period` (ISO 8601 duration). */
  async aggregated(id: string, from: number, to: number, period: string, signal?: AbortSignal): Promise<Map<string, Record<AggrMethod, Bucket[]>>> {
    const methods: AggrMethod[] = ['avg', 'min', 'max'];
    const res = await this.get(
      `${NGSI}/temporal/entities/${encodeURIComponent(id)}`,
      { timerel: 'between', timeAt: iso(from), endTimeAt: iso(to), timeproperty: RECEIVED, options: 'aggregatedValues', aggrMethods: methods.join(','), aggrPeriodDuration: period },
      signal,
    );
    return parseAggregated(await res.json(), methods);
  }

  /** History of `attrs` for entities of `types` over [from, to), every instance. */
  async history(types: readonly string[], attrs: readonly string[], from: number, to: number, signal?: AbortSignal): Promise<TemporalEntity[]> {
    const byId = new Map<string, TemporalEntity>();
    for (let offset = 0; ; offset += TEMPORAL_PAGE) {
      const got = await this.historyPage(types, attrs, from, to, offset, byId, signal);
      if (got < TEMPORAL_PAGE) break;
    }
    return [...byId.values()];
  }

  /** One page of entities, following the server's time-range continuations; returns entities on the page. */
  private async historyPage(
    types: readonly string[],
    attrs: readonly string[],
    from: number,
    to: number,
    offset: number,
    into: Map<string, TemporalEntity>,
    signal?: AbortSignal,
  ): Promise<number> {
    let start = from;
    let entitiesOnPage = 0;
    for (let round = 0; round <= MAX_CONTINUATIONS; round++) {
      const res = await this.get(
        `${NGSI}/temporal/entities`,
        { type: types.join(','), attrs: attrs.join(','), timerel: 'between', timeAt: iso(start), endTimeAt: iso(to), timeproperty: RECEIVED, options: 'temporalValues', limit: String(TEMPORAL_PAGE), offset: String(offset) },
        signal,
      );
      const body: unknown = await res.json();
      const list = Array.isArray(body) ? body : [];
      entitiesOnPage = Math.max(entitiesOnPage, list.length);
      for (const e of list) mergeHistory(into, e);
      const next = res.status === 206 ? contentRangeEnd(res.headers.get('Content-Range')) : null;
      if (next === null || next <= start || next >= to) break;
      start = next;
    }
    return entitiesOnPage;
  }

  /** The URL of the change stream for these types and bbox. */
  streamUrl(types: readonly string[], bbox: Bbox | null): string {
    const params = new URLSearchParams({ type: types.join(','), options: 'keyValues' });
    if (bbox) params.set('bbox', bbox.map((v) => v.toFixed(5)).join(','));
    if (this.tenant) params.set('tenant', this.tenant);
    return `${STREAM}?${params}`;
  }
}

function mergeHistory(into: Map<string, TemporalEntity>, e: unknown): void {
  const o = e as { id?: unknown; type?: unknown };
  if (typeof o?.id !== 'string') return;
  const type = Array.isArray(o.type) ? String(o.type[0]) : String(o.type ?? '');
  const entry = into.get(o.id) ?? { id: o.id, type, attrs: new Map<string, Sample[]>() };
  into.set(o.id, entry);
  for (const [attr, samples] of parseTemporalValues(e)) {
    entry.attrs.set(attr, [...(entry.attrs.get(attr) ?? []), ...samples]);
  }
}

/** A short account of a failed answer: the ProblemDetails title/detail, else the status text. */
async function problemText(res: Response): Promise<string> {
  try {
    const p = (await res.json()) as { title?: unknown; detail?: unknown };
    const text = [p.title, p.detail].filter((s) => typeof s === 'string' && s).join(': ');
    if (text) return text;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `${res.status} ${res.statusText}`.trim();
}

/** Outcome of reading every page of a query. */
export interface LoadResult {
  /** Every page arrived and together they held at least the count the server announced. */
  complete: boolean;
}

/** Reads every page of `q`, `concurrency` at a time after the first, handing each to `onPage`
 *  as it arrives so the map fills in progressively. */
export async function loadAll(api: Api, q: EntityQuery, onPage: (entities: KeyValues[]) => void, signal?: AbortSignal, concurrency = 3): Promise<LoadResult> {
  if (q.types.length === 0) return { complete: true };
  const ids = new Set<string>();
  const take = (entities: KeyValues[]): void => {
    for (const e of entities) ids.add(e.id);
    onPage(entities);
  };
  const first = await api.entityPage(q, 0, true, signal);
  take(first.entities);
  if (first.total === null) {
    // No count from the server: read on until a short page.
    let last = first.entities.length;
    for (let offset = PAGE_SIZE; last === PAGE_SIZE; offset += PAGE_SIZE) {
      const page = await api.entityPage(q, offset, false, signal);
      take(page.entities);
      last = page.entities.length;
    }
    return { complete: true };
  }
  const offsets: number[] = [];
  for (let o = PAGE_SIZE; o < first.total; o += PAGE_SIZE) offsets.push(o);
  const worker = async (): Promise<void> => {
    for (let o = offsets.shift(); o !== undefined; o = offsets.shift()) take((await api.entityPage(q, o, false, signal)).entities);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, offsets.length) }, worker));
  return { complete: ids.size >= first.total };
}

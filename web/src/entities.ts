// The dashboard's copy of the twin: one record per entity, fed by REST snapshots and by the change
// stream, which race each other. Two rules keep the copy right whatever the arrival order:
//  - a stream event older than (lsn ≤) the last one applied to that entity is ignored, which makes
//    the overlap of an old and a new stream connection harmless;
//  - a snapshot record is ignored for an entity the stream touched after the snapshot began,
//    because the event is at least as new as what the snapshot read.

import { type Assessment, assess } from './colour';
import { type Bbox, type Polygon, geometryPolygons, inBbox, mercX, mercY, representativePoint } from './geo';
import type { Geometry } from './geo';
import { type LayerId, layerOf } from './layers';

/** An entity in keyValues form, as the stream and `options=keyValues` send it. */
export interface KeyValues {
  id: string;
  type: string | string[];
  [attr: string]: unknown;
}

export interface Rec {
  id: string;
  type: string;
  layer: LayerId;
  values: KeyValues;
  /** Representative point; NaN when the entity has no usable location. */
  lon: number;
  lat: number;
  /** Web Mercator of (lon, lat) in [0, 1]. */
  mx: number;
  my: number;
  /** Areas (the park) are drawn as shapes as well as a marker. */
  polygons: Polygon[];
  /** Course over ground in degrees from north, for vessels drawn as arrows. */
  heading: number | null;
  state: Assessment;
  /** Adcode of the county the point lies in, null at sea. */
  county: string | null;
  /** Change-stream sequence number of the last event applied (0 if only seen by REST). */
  lsn: number;
}

/** One event of `/twinisle/v1/stream`. */
export interface ChangeEvent {
  op: 'upsert' | 'delete';
  id: string;
  type?: string;
  lsn: number;
  entity: KeyValues | null;
}

/** The first type of an entity that we can place in a layer (multi-typed entities exist). */
export function primaryType(type: KeyValues['type']): string {
  return Array.isArray(type) ? (type.find((t) => layerOf(t) !== 'other') ?? type[0] ?? '') : type;
}

/** Builds the record of an entity; null for what the map does not show (administrative areas). */
export function toRec(e: KeyValues, now: number, countyAt: (lon: number, lat: number) => string | null): Rec | null {
  const type = primaryType(e.type);
  const layer = layerOf(type);
  if (layer === null || typeof e.id !== 'string') return null;
  const geometry = e.location as Geometry | undefined;
  const point = representativePoint(geometry);
  const [lon, lat] = point ?? [NaN, NaN];
  const cog = e.courseOverGround;
  return {
    id: e.id,
    type,
    layer,
    values: e,
    lon,
    lat,
    mx: point ? mercX(lon) : NaN,
    my: point ? mercY(lat) : NaN,
    polygons: geometryPolygons(geometry),
    heading: typeof cog === 'number' && Number.isFinite(cog) ? cog : null,
    state: assess(layer, e, now),
    county: point ? countyAt(lon, lat) : null,
    lsn: 0,
  };
}

/** Which records a finished snapshot speaks for: what it would have returned if they existed. */
export interface SnapshotScope {
  types: ReadonlySet<string>;
  bbox: Bbox | null;
}

export interface Snapshot {
  readonly token: number;
  readonly seen: Set<string>;
}

export class EntityStore {
  private readonly recs = new Map<string, Rec>();
  /** Last lsn applied per entity id, deleted ones included, so late duplicates stay dead. */
  private readonly lsnById = new Map<string, number>();
  private maxLsn = 0;
  private snapshotsInFlight = 0;
  private readonly listeners = new Set<(id: string | null) => void>();

  constructor(private readonly derive: (e: KeyValues) => Rec | null) {}

  get size(): number {
    return this.recs.size;
  }

  get(id: string): Rec | undefined {
    return this.recs.get(id);
  }

  values(): IterableIterator<Rec> {
    return this.recs.values();
  }

  /** Calls `fn` with the id of each entity changed by the stream, or null after a snapshot page. */
  onChange(fn: (id: string | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(id: string | null): void {
    for (const fn of this.listeners) fn(id);
  }

  /** Applies a stream event; false if it was older than what we have. */
  applyEvent(ev: ChangeEvent): boolean {
    if (ev.lsn <= (this.lsnById.get(ev.id) ?? 0)) return false;
    this.lsnById.set(ev.id, ev.lsn);
    this.maxLsn = Math.max(this.maxLsn, ev.lsn);
    const rec = ev.op === 'upsert' && ev.entity ? this.derive(ev.entity) : null;
    if (rec) {
      rec.lsn = ev.lsn;
      this.recs.set(ev.id, rec);
    } else {
      this.recs.delete(ev.id);
    }
    this.emit(ev.id);
    return true;
  }

  /** Starts a REST snapshot; pass the token to `applyPage` and `endSnapshot`. */
  beginSnapshot(): Snapshot {
    this.snapshotsInFlight++;
    return { token: this.maxLsn, seen: new Set() };
  }

  /** Applies one page of a snapshot, skipping entities the stream has touched since it began. */
  applyPage(snap: Snapshot, entities: readonly KeyValues[]): void {
    for (const e of entities) {
      if (typeof e?.id !== 'string') continue;
      snap.seen.add(e.id);
      if ((this.lsnById.get(e.id) ?? 0) > snap.token) continue;
      const rec = this.derive(e);
      if (!rec) continue;
      rec.lsn = this.recs.get(e.id)?.lsn ?? 0;
      this.recs.set(e.id, rec);
    }
    this.emit(null);
  }

  /** Ends a snapshot. When it is `complete` (every page read, no entity lost to shifting pages),
   *  records in its scope that it did not return and the stream did not touch are gone. */
  endSnapshot(snap: Snapshot, scope: SnapshotScope, complete: boolean): void {
    this.snapshotsInFlight--;
    if (complete) {
      for (const [id, rec] of this.recs) {
        if (snap.seen.has(id) || !scope.types.has(rec.type)) continue;
        if (scope.bbox && !inBbox(scope.bbox, rec.lon, rec.lat)) continue;
        if ((this.lsnById.get(id) ?? 0) > snap.token) continue;
        this.recs.delete(id);
      }
      this.emit(null);
    }
    if (this.snapshotsInFlight === 0) {
      for (const id of this.lsnById.keys()) if (!this.recs.has(id)) this.lsnById.delete(id);
    }
  }

  /** Forgets stream ordering, for a server that restarted its sequence (after a resync). */
  resetOrdering(): void {
    this.lsnById.clear();
    this.maxLsn = 0;
    for (const rec of this.recs.values()) rec.lsn = 0;
  }

  /** Re-assesses the records of `layers` at `now`: states that depend on the clock (silence). */
  refresh(layers: ReadonlySet<LayerId>, now: number): void {
    for (const rec of this.recs.values()) if (layers.has(rec.layer)) rec.state = assess(rec.layer, rec.values, now);
    this.emit(null);
  }

  /** Drops the records of layers that were switched off (they are fetched afresh when back on). */
  dropLayers(layers: ReadonlySet<LayerId>): void {
    for (const [id, rec] of this.recs) if (layers.has(rec.layer)) this.recs.delete(id);
    this.emit(null);
  }
}

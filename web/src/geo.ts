// Plain geometry on GeoJSON coordinates: Web Mercator, bounding boxes, point-in-polygon.
// Pure functions with no Leaflet, so the marker layer can project 100,000 points without
// allocating a LatLng for each.

export type Position = [number, number];
export type Ring = Position[];
/** A GeoJSON polygon: the outer ring, then holes. */
export type Polygon = Ring[];
/** [minLon, minLat, maxLon, maxLat], the order of GeoJSON bbox and of the stream's `bbox`. */
export type Bbox = [number, number, number, number];

/** A GeoJSON geometry as the API sends it (only the members we read). */
export interface Geometry {
  type: string;
  coordinates?: unknown;
}

/** Web Mercator x in [0, 1] (multiply by 256·2^zoom for Leaflet pixels). */
export function mercX(lon: number): number {
  return (lon + 180) / 360;
}

const MAX_LAT = 85.0511287798;

/** Web Mercator y in [0, 1], north at 0. */
export function mercY(lat: number): number {
  const phi = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
  return 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI);
}

/** Inverse of mercX. */
export function lonOfMercX(x: number): number {
  return x * 360 - 180;
}

/** Inverse of mercY. */
export function latOfMercY(y: number): number {
  return (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
}

export function inBbox(b: Bbox, lon: number, lat: number): boolean {
  return lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
}

/** Whether `inner` lies entirely inside `outer`. */
export function bboxContains(outer: Bbox, inner: Bbox): boolean {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/** `b` grown by `ratio` of its size on every side, clamped to valid coordinates. */
export function padBbox(b: Bbox, ratio: number): Bbox {
  const dx = (b[2] - b[0]) * ratio;
  const dy = (b[3] - b[1]) * ratio;
  return [
    Math.max(-180, b[0] - dx),
    Math.max(-90, b[1] - dy),
    Math.min(180, b[2] + dx),
    Math.min(90, b[3] + dy),
  ];
}

export function bboxOfPolygons(polygons: readonly Polygon[]): Bbox {
  const b: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of polygons) {
    for (const [lon, lat] of poly[0] ?? []) {
      if (lon < b[0]) b[0] = lon;
      if (lat < b[1]) b[1] = lat;
      if (lon > b[2]) b[2] = lon;
      if (lat > b[3]) b[3] = lat;
    }
  }
  return b;
}

/** The closed ring of a bbox, as an NGSI-LD geo-query `coordinates` value for a Polygon. */
export function bboxPolygon(b: Bbox): Polygon {
  return [
    [
      [b[0], b[1]],
      [b[2], b[1]],
      [b[2], b[3]],
      [b[0], b[3]],
      [b[0], b[1]],
    ],
  ];
}

/** Even-odd ray casting; points on the boundary may fall either way. */
export function pointInRing(ring: Ring, lon: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function pointInPolygon(poly: Polygon, lon: number, lat: number): boolean {
  if (poly.length === 0 || !pointInRing(poly[0], lon, lat)) return false;
  return !poly.slice(1).some((hole) => pointInRing(hole, lon, lat));
}

function isPosition(v: unknown): v is Position {
  return Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number';
}

/** The polygons of a Polygon or MultiPolygon geometry; none for anything else. */
export function geometryPolygons(g: Geometry | null | undefined): Polygon[] {
  if (!g || !Array.isArray(g.coordinates)) return [];
  if (g.type === 'Polygon') return [g.coordinates as Polygon];
  if (g.type === 'MultiPolygon') return g.coordinates as Polygon[];
  return [];
}

/** One point to place a marker for any geometry: the point itself, the middle vertex of a line,
 *  or the centre of a polygon's bounding box. */
export function representativePoint(g: Geometry | null | undefined): Position | null {
  if (!g) return null;
  const c = g.coordinates;
  switch (g.type) {
    case 'Point':
      return isPosition(c) ? c : null;
    case 'MultiPoint':
    case 'LineString':
      return Array.isArray(c) && isPosition(c[Math.floor(c.length / 2)]) ? c[Math.floor(c.length / 2)] : null;
    case 'Polygon':
    case 'MultiPolygon': {
      const b = bboxOfPolygons(geometryPolygons(g));
      return Number.isFinite(b[0]) ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : null;
    }
    default:
      return null;
  }
}

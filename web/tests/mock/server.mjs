#!/usr/bin/env node
// A stand-in for `twinisle demo`, for developing and testing the dashboard without the Rust
// server: the same contracts (NGSI-LD entities, types, temporal API, the SSE change stream),
// with a procedural Hainan (gauges, air, weather, sea, traffic, vessels circling the island, a
// park, devices) and a typhoon crossing it over the last hours. Values are functions of time, so
// history costs no memory and 100,000 entities fit. It also serves a built `dist/`.
// Never shipped: the dashboard itself has no fake data.
//
//   node tests/mock/server.mjs [--port 18026] [--entities 3000] [--dist dist] [--seed 1]

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const PORT = Number(args.port ?? 18026);
const TOTAL = Number(args.entities ?? 3000);
const DIST = args.dist ?? null;
const here = fileURLToPath(new URL('.', import.meta.url));
const DATA = join(here, '../../public/data');

// ---- deterministic randomness -------------------------------------------------------------
let seed = Number(args.seed ?? 1) >>> 0;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (a, b) => a + rand() * (b - a);

// ---- geography -----------------------------------------------------------------------------
const coast = JSON.parse(readFileSync(join(DATA, 'hainan-coastline.geojson'), 'utf8')).features[0].geometry.coordinates[0];
const countiesGeo = JSON.parse(readFileSync(join(DATA, 'hainan-counties.geojson'), 'utf8')).features;
function inRing(ring, x, y) {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}
const onLand = (lon, lat) => inRing(coast, lon, lat);
function landPoint() {
  for (;;) {
    const p = [between(108.6, 111.05), between(18.15, 20.15)];
    if (onLand(...p)) return p;
  }
}
function seaPoint() {
  for (;;) {
    const p = [between(107.8, 111.9), between(17.5, 20.9)];
    if (!onLand(...p)) return p;
  }
}

// ---- the typhoon: a track from the south-east to the north-west over ten hours -------------
const START = Date.now();
const T0 = START - 5 * 3600e3;
const T1 = START + 5 * 3600e3;
function eye(t) {
  const f = Math.min(1, Math.max(0, (t - T0) / (T1 - T0)));
  return [112.8 + (107.4 - 112.8) * f, 17.0 + (20.9 - 17.0) * f];
}
/** 0..1: how hard the storm hits (lon, lat) at t. */
function storm(lon, lat, t) {
  const [x, y] = eye(t);
  const d = Math.hypot((lon - x) * Math.cos((lat * Math.PI) / 180), lat - y);
  return Math.exp(-(d * d) / 0.6);
}
const wave = (t, period, phase) => Math.sin((2 * Math.PI * t) / period + phase);

// ---- entities ------------------------------------------------------------------------------
/** Each entity: static attributes, a period between observations, and `at(t)` giving dynamic ones. */
const entities = [];
const pad = (n, w = 4) => String(n).padStart(w, '0');

for (const f of countiesGeo) {
  entities.push({
    id: `urn:ngsi-ld:AdministrativeArea:${f.id}`,
    type: 'AdministrativeArea',
    period: 0,
    static: { name: f.properties.name, adcode: f.id, location: f.geometry },
    at: () => ({}),
  });
}
const RIVERS = ['南渡江', '昌化江', '万泉河'];
function add(n, make) {
  for (let i = 0; i < n; i++) entities.push(make(i));
}
add(30, (i) => {
  const p = landPoint();
  const alert = between(4, 6);
  const phase = rand() * 6;
  return {
    id: `urn:ngsi-ld:WaterObserved:gauge-${pad(i)}`,
    type: 'WaterObserved',
    period: 60e3,
    static: { name: `${RIVERS[i % 3]}${i + 1}号站`, alternateName: `Gauge ${i + 1}`, alertLevel: +alert.toFixed(2), dangerLevel: +(alert + 1.5).toFixed(2), location: { type: 'Point', coordinates: p } },
    at: (t) => {
      // Rivers rise after the storm passes, with a lag.
      const level = alert - 1.5 + 0.2 * wave(t, 6 * 3600e3, phase) + 3.5 * storm(p[0], p[1], t - 2 * 3600e3);
      return { waterLevel: +level.toFixed(3), flow: +(40 + 120 * Math.max(0, level - alert + 2)).toFixed(1) };
    },
  };
});
add(20, (i) => {
  const p = landPoint();
  const base = between(20, 90);
  return {
    id: `urn:ngsi-ld:AirQualityObserved:aq-${pad(i)}`,
    type: 'AirQualityObserved',
    period: 60e3,
    static: { name: `空气站${i + 1}`, alternateName: `Air station ${i + 1}`, location: { type: 'Point', coordinates: p } },
    at: (t) => {
      const aqi = Math.max(5, base + 60 * wave(t, 5 * 3600e3, i) + (i % 7 === 0 ? 150 : 0));
      return { aqi: Math.round(aqi), pm25: +(aqi * 0.6).toFixed(1), pm10: +(aqi * 0.9).toFixed(1), no2: +(aqi * 0.3).toFixed(1), o3: +(aqi * 0.8).toFixed(1) };
    },
  };
});
add(25, (i) => {
  const p = landPoint();
  return {
    id: `urn:ngsi-ld:WeatherObserved:wx-${pad(i)}`,
    type: 'WeatherObserved',
    period: 60e3,
    static: { name: `气象站${i + 1}`, alternateName: `Weather station ${i + 1}`, location: { type: 'Point', coordinates: p } },
    at: (t) => {
      const s = storm(p[0], p[1], t);
      return {
        windSpeed: +(3 + 40 * s).toFixed(1),
        precipitation: +(60 * s).toFixed(1),
        temperature: +(28 - 4 * s).toFixed(1),
        atmosphericPressure: +(1008 - 45 * s).toFixed(1),
        relativeHumidity: +(0.7 + 0.28 * s).toFixed(2),
      };
    },
  };
});
add(15, (i) => {
  const p = seaPoint();
  return {
    id: `urn:ngsi-ld:SeaConditions:sea-${pad(i)}`,
    type: 'SeaConditions',
    period: 60e3,
    static: { name: `浮标${i + 1}`, alternateName: `Buoy ${i + 1}`, location: { type: 'Point', coordinates: p } },
    at: (t) => ({ waveHeight: +(0.8 + 7 * storm(p[0], p[1], t)).toFixed(2) }),
  };
});
add(40, (i) => {
  const p = landPoint();
  return {
    id: `urn:ngsi-ld:TrafficFlowObserved:g98-${pad(i)}`,
    type: 'TrafficFlowObserved',
    period: 60e3,
    static: { name: `G98环岛高速 K${i * 15}`, alternateName: `G98 ring expressway km ${i * 15}`, location: { type: 'Point', coordinates: p } },
    at: (t) => {
      const load = 0.5 + 0.5 * wave(t, 3 * 3600e3, i);
      return { intensity: Math.round(400 * load), occupancy: +(0.9 * load).toFixed(2), averageVehicleSpeed: Math.round(100 - 80 * load), congested: load > 0.85 };
    },
  };
});
add(60, (i) => {
  const r = between(1.3, 2.2);
  const omega = (2 * Math.PI) / between(30 * 3600e3, 60 * 3600e3);
  const phase = rand() * 2 * Math.PI;
  const pos = (t) => [109.8 + r * Math.cos(omega * t + phase), 19.2 + r * 0.8 * Math.sin(omega * t + phase)];
  return {
    id: `urn:ngsi-ld:Vessel:${412000000 + i}`,
    type: 'Vessel',
    period: 10e3,
    static: { name: `琼海渔${pad(i, 5)}`, alternateName: `QIONGHAIYU ${pad(i, 5)}`, mmsi: String(412000000 + i), navigationStatus: 'underWayUsingEngine' },
    at: (t) => {
      const [x, y] = pos(t);
      const [x2, y2] = pos(t + 60e3);
      const cog = ((Math.atan2(x2 - x, y2 - y) * 180) / Math.PI + 360) % 360;
      return { location: { type: 'Point', coordinates: [+x.toFixed(5), +y.toFixed(5)] }, courseOverGround: +cog.toFixed(1), speedOverGround: +(r * omega * 3600e3 * 60).toFixed(1) };
    },
  };
});
entities.push({
  id: 'urn:ngsi-ld:Park:hainan-tropical-rainforest',
  type: 'Park',
  period: 0,
  static: {
    name: '海南热带雨林国家公园',
    alternateName: 'Hainan Tropical Rainforest National Park',
    location: { type: 'Polygon', coordinates: [[[109.0, 18.75], [109.45, 18.55], [109.95, 18.7], [110.1, 19.05], [109.75, 19.35], [109.25, 19.3], [109.0, 18.75]]] },
  },
  at: () => ({}),
});
add(10, (i) => {
  const c = [between(109.3, 109.9), between(18.8, 19.2)];
  return {
    id: `urn:ngsi-ld:RangerTracker:ranger-${pad(i)}`,
    type: 'RangerTracker',
    period: 30e3,
    static: { name: `护林员${i + 1}`, alternateName: `Ranger ${i + 1}` },
    at: (t) => ({ location: { type: 'Point', coordinates: [+(c[0] + 0.05 * wave(t, 3600e3, i)).toFixed(5), +(c[1] + 0.05 * wave(t, 5000e3, i)).toFixed(5)] }, batteryLevel: 0.8 }),
  };
});
add(Math.max(0, TOTAL - entities.length), (i) => {
  const p = landPoint();
  const silent = i % 37 === 0;
  return {
    id: `urn:ngsi-ld:Device:dev-${pad(i, 6)}`,
    type: 'Device',
    period: 300e3,
    static: { name: `传感器${i}`, alternateName: `Sensor ${i}`, location: { type: 'Point', coordinates: p }, deviceState: i % 101 === 0 ? 'broken' : 'ok' },
    at: (t) => ({
      dateLastValueReported: new Date(silent ? START - 3600e3 : t).toISOString(),
      batteryLevel: +(i % 23 === 0 ? 0.1 : 0.9 - ((t / 3600e3) % 1) * 0.05).toFixed(3),
      rssi: -60 - (i % 30),
    }),
  };
});
const byId = new Map(entities.map((e) => [e.id, e]));

// ---- rendering -----------------------------------------------------------------------------
const UNITS = { waterLevel: 'MTR', alertLevel: 'MTR', dangerLevel: 'MTR', flow: 'MQS', windSpeed: 'MTS', temperature: 'CEL', precipitation: 'MMT', atmosphericPressure: 'A97', waveHeight: 'MTR', speedOverGround: 'KNT', courseOverGround: 'DD', pm25: 'GQ', pm10: 'GQ', no2: 'GQ', o3: 'GQ', averageVehicleSpeed: 'KMH' };
const observedTime = (e, t) => (e.period ? Math.floor(t / e.period) * e.period : START);
const keyValues = (e, t = Date.now()) => ({ id: e.id, type: e.type, ...e.static, ...e.at(observedTime(e, t)) });
function normalized(e) {
  const t = observedTime(e, Date.now());
  const dyn = e.at(t);
  const out = { id: e.id, type: e.type };
  for (const [k, v] of Object.entries({ ...e.static, ...dyn })) {
    if (k === 'location') out[k] = { type: 'GeoProperty', value: v };
    else {
      out[k] = { type: 'Property', value: v };
      if (UNITS[k]) out[k].unitCode = UNITS[k];
      if (k in dyn) out[k].observedAt = new Date(t).toISOString();
    }
  }
  if (e.type === 'Vessel') out.refPort = { type: 'Relationship', object: 'urn:ngsi-ld:Port:haikou-xiuying' };
  return out;
}
function bboxOf(geom) {
  const pts = geom.type === 'Point' ? [geom.coordinates] : geom.type === 'Polygon' ? geom.coordinates[0] : geom.coordinates.flatMap((p) => p[0]);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}
const overlaps = (a, b) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
function locationOf(e, t) {
  return e.static.location ?? e.at(observedTime(e, t)).location;
}

// ---- HTTP ----------------------------------------------------------------------------------
function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
const problem = (res, status, title) => send(res, status, { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', title }, { 'Content-Type': 'application/problem+json' });

function query(url) {
  const types = new Set((url.searchParams.get('type') ?? '').split(',').filter(Boolean));
  let bbox = null;
  if (url.searchParams.get('georel')) bbox = bboxOf({ type: 'Polygon', coordinates: JSON.parse(url.searchParams.get('coordinates')) });
  const now = Date.now();
  return entities.filter((e) => types.has(e.type) && (!bbox || (locationOf(e, now) && overlaps(bboxOf(locationOf(e, now)), bbox))));
}
function page(url, list) {
  const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 20));
  const offset = Number(url.searchParams.get('offset') ?? 0);
  return list.slice(offset, offset + limit);
}
/** Observation times of `e` within [from, to]. */
function instants(e, from, to) {
  if (!e.period) return [];
  const out = [];
  for (let t = Math.ceil(from / e.period) * e.period; t <= Math.min(to, Date.now()); t += e.period) out.push(t);
  return out;
}
function temporalValues(e, from, to, attrs) {
  const out = { id: e.id, type: e.type };
  for (const t of instants(e, from, to)) {
    for (const [k, v] of Object.entries(e.at(t))) {
      if (attrs && !attrs.includes(k)) continue;
      out[k] ??= { type: k === 'location' ? 'GeoProperty' : 'Property', values: [] };
      out[k].values.push([v, new Date(t).toISOString()]);
    }
  }
  return out;
}
function aggregated(e, from, to, periodMs, methods) {
  const out = { id: e.id, type: e.type };
  for (let start = from; start < to; start += periodMs) {
    const end = Math.min(to, start + periodMs);
    const values = {};
    for (const t of instants(e, start, end - 1)) for (const [k, v] of Object.entries(e.at(t))) if (typeof v === 'number') (values[k] ??= []).push(v);
    for (const [k, vs] of Object.entries(values)) {
      out[k] ??= { type: 'Property' };
      const agg = { avg: vs.reduce((a, b) => a + b, 0) / vs.length, min: Math.min(...vs), max: Math.max(...vs) };
      for (const m of methods) (out[k][m] ??= []).push([agg[m], new Date(start).toISOString(), new Date(end).toISOString()]);
    }
  }
  return out;
}
function durationMs(d) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(d ?? '');
  if (!m) return NaN;
  return ((+(m[1] ?? 0) * 24 + +(m[2] ?? 0)) * 60 + +(m[3] ?? 0)) * 60e3 + +(m[4] ?? 0) * 1e3;
}

// ---- the change stream ---------------------------------------------------------------------
let lsn = 0;
const clients = new Set();
const lastSent = new Map();
setInterval(() => {
  const now = Date.now();
  const changed = [];
  for (const e of entities) {
    if (!e.period) continue;
    const t = observedTime(e, now);
    if (lastSent.get(e.id) !== t) {
      if (lastSent.has(e.id)) changed.push(e);
      lastSent.set(e.id, t);
    }
  }
  for (const e of changed) {
    lsn++;
    const kv = keyValues(e, now);
    const box = kv.location ? bboxOf(kv.location) : null;
    const data = JSON.stringify({ op: 'upsert', id: e.id, type: e.type, lsn, entity: kv });
    for (const c of clients) if (c.types.has(e.type) && (!c.bbox || (box && overlaps(box, c.bbox)))) c.res.write(`event: change\nid: ${lsn}\ndata: ${data}\n\n`);
  }
}, 1000).unref();
setInterval(() => {
  for (const c of clients) c.res.write(': keepalive\n\n');
}, 15000).unref();

function stream(url, req, res) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.write('retry: 2000\n\n');
  const bbox = url.searchParams.get('bbox')?.split(',').map(Number) ?? null;
  // A reconnection we cannot replay for: tell the client to re-read.
  if (req.headers['last-event-id']) res.write(`event: resync\ndata: {}\n\n`);
  const client = { types: new Set((url.searchParams.get('type') ?? '').split(',')), bbox, res };
  clients.add(client);
  req.on('close', () => clients.delete(client));
}

// The policy crates/dashboard sends with HTML, so the tests run the app under it (keep in step).
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.geojson': 'application/geo+json', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };
function serveStatic(path, res) {
  if (!DIST) return problem(res, 404, 'no --dist given');
  const file = normalize(join(DIST, path === '/' ? 'index.html' : path));
  if (!file.startsWith(normalize(DIST)) || !existsSync(file) || !statSync(file).isFile()) return problem(res, 404, 'not found');
  const type = MIME[extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, { 'Content-Type': type, ...(type.startsWith('text/html') ? { 'Content-Security-Policy': CSP } : {}) });
  createReadStream(file).pipe(res);
}

createServer((req, res) => {
  const url = new URL(req.url, 'http://mock');
  const p = url.pathname;
  const NGSI = '/ngsi-ld/v1';
  try {
    if (p === '/health') return send(res, 200, { status: 'ok' });
    if (p === '/twinisle/v1/stream') return stream(url, req, res);
    if (p === `${NGSI}/types`) return send(res, 200, { id: 'urn:ngsi-ld:EntityTypeList:mock', type: 'EntityTypeList', typeList: [...new Set(entities.map((e) => e.type))] });
    if (p === `${NGSI}/entities`) {
      if (!url.searchParams.get('type')) return problem(res, 400, 'type is required');
      const list = query(url);
      const headers = url.searchParams.get('count') === 'true' ? { 'NGSILD-Results-Count': String(list.length) } : {};
      return send(res, 200, page(url, list).map((e) => keyValues(e)), headers);
    }
    if (p.startsWith(`${NGSI}/entities/`)) {
      const e = byId.get(decodeURIComponent(p.slice(`${NGSI}/entities/`.length)));
      return e ? send(res, 200, normalized(e)) : problem(res, 404, 'entity not found');
    }
    const from = Date.parse(url.searchParams.get('timeAt'));
    const to = Date.parse(url.searchParams.get('endTimeAt'));
    if (p.startsWith(`${NGSI}/temporal/entities`) && (url.searchParams.get('timerel') !== 'between' || !(from < to))) return problem(res, 400, 'timerel=between with timeAt < endTimeAt expected');
    if (p === `${NGSI}/temporal/entities`) {
      const attrs = url.searchParams.get('attrs')?.split(',') ?? null;
      return send(res, 200, page(url, query(url)).map((e) => temporalValues(e, from, to, attrs)));
    }
    if (p.startsWith(`${NGSI}/temporal/entities/`)) {
      const e = byId.get(decodeURIComponent(p.slice(`${NGSI}/temporal/entities/`.length)));
      if (!e) return problem(res, 404, 'entity not found');
      if (url.searchParams.get('options') === 'aggregatedValues') {
        const period = durationMs(url.searchParams.get('aggrPeriodDuration'));
        if (!(period > 0)) return problem(res, 400, 'bad aggrPeriodDuration');
        return send(res, 200, aggregated(e, from, to, period, (url.searchParams.get('aggrMethods') ?? 'avg').split(',')));
      }
      return send(res, 200, temporalValues(e, from, to, null));
    }
    if (p.startsWith(NGSI)) return problem(res, 404, 'no such endpoint');
    return serveStatic(p, res);
  } catch (err) {
    return problem(res, 500, String(err));
  }
}).listen(PORT, '127.0.0.1', () => console.log(`mock twinisle with ${entities.length} entities on http://127.0.0.1:${PORT}`));

// The offline base map: Hainan's land from the Natural Earth coastline, county boundaries from the
// echarts outlines, and county names. The outlines run 3-6 km out to sea, so on the main island
// they are drawn clipped to the land (interior boundaries only); Sansha's islands, which the
// coastline does not include, are drawn from their own outlines. Nothing is fetched from outside.

import { CanvasLayer, type View } from './canvasLayer';
import { COUNTIES, countyByAdcode, countyName } from './counties';
import { type Polygon, type Position, geometryPolygons, mercX, mercY } from './geo';
import { lang, onLangChange } from './i18n';

export interface BaseMapData {
  land: Polygon[];
  counties: { adcode: string; polygons: Polygon[]; label: Position }[];
}

const SANSHA = '460300';
const LAND = '#24453a';
const COAST = '#6f9c87';
const BOUNDARY = 'rgba(170, 200, 185, 0.75)';
const LABEL = '#eef4f0';
const HALO = 'rgba(10, 28, 46, 0.85)';
/** County names appear once the island is big enough for them not to collide. */
const LABEL_MIN_ZOOM = 8;

interface GeoJson {
  features?: { id?: unknown; properties?: { name?: unknown; cp?: unknown }; geometry?: { type: string; coordinates?: unknown } }[];
}

/** Reads the two GeoJSON files shipped in `public/data/`. */
export async function loadBaseMap(): Promise<BaseMapData> {
  const [coast, counties] = await Promise.all(
    ['data/hainan-coastline.geojson', 'data/hainan-counties.geojson'].map(async (url) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${url}: ${res.status}`);
      return (await res.json()) as GeoJson;
    }),
  );
  const land = (coast.features ?? []).flatMap((f) => geometryPolygons(f.geometry));
  const byName = new Map(COUNTIES.map((c) => [c.zh, c.adcode]));
  return {
    land,
    counties: (counties.features ?? []).flatMap((f) => {
      const adcode = countyByAdcode(String(f.id ?? ''))?.adcode ?? byName.get(String(f.properties?.name ?? ''));
      const cp = f.properties?.cp;
      if (!adcode || !Array.isArray(cp)) return [];
      return [{ adcode, polygons: geometryPolygons(f.geometry), label: [Number(cp[0]), Number(cp[1])] as Position }];
    }),
  };
}

/** A ring in Web Mercator, flattened x0, y0, x1, y1... */
type MercRing = Float64Array;

function toMerc(polygons: Polygon[]): MercRing[] {
  return polygons.flatMap((poly) =>
    poly.map((ring) => {
      const out = new Float64Array(ring.length * 2);
      ring.forEach(([lon, lat], i) => {
        out[2 * i] = mercX(lon);
        out[2 * i + 1] = mercY(lat);
      });
      return out;
    }),
  );
}

function tracePath(ctx: CanvasRenderingContext2D, rings: readonly MercRing[], v: View): void {
  for (const r of rings) {
    ctx.moveTo(r[0] * v.scale - v.ox, r[1] * v.scale - v.oy);
    for (let i = 2; i < r.length; i += 2) ctx.lineTo(r[i] * v.scale - v.ox, r[i + 1] * v.scale - v.oy);
    ctx.closePath();
  }
}

export class BaseMapLayer extends CanvasLayer {
  private readonly land: MercRing[];
  private readonly island: MercRing[];
  private readonly sansha: MercRing[];
  private readonly labels: { adcode: string; x: number; y: number }[];

  constructor(data: BaseMapData, pane: string) {
    super(pane);
    this.land = toMerc(data.land);
    this.island = toMerc(data.counties.filter((c) => c.adcode !== SANSHA).flatMap((c) => c.polygons));
    this.sansha = toMerc(data.counties.filter((c) => c.adcode === SANSHA).flatMap((c) => c.polygons));
    this.labels = data.counties.map((c) => ({ adcode: c.adcode, x: mercX(c.label[0]), y: mercY(c.label[1]) }));
    this.canvas.setAttribute('aria-hidden', 'true');
    onLangChange(() => this.requestRedraw());
  }

  protected draw(ctx: CanvasRenderingContext2D, v: View): void {
    ctx.beginPath();
    tracePath(ctx, this.land, v);
    ctx.fillStyle = LAND;
    ctx.fill();

    ctx.save();
    ctx.clip();
    ctx.beginPath();
    tracePath(ctx, this.island, v);
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1;
    ctx.strokeStyle = BOUNDARY;
    ctx.stroke();
    ctx.restore();

    ctx.beginPath();
    tracePath(ctx, this.land, v);
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = COAST;
    ctx.stroke();

    ctx.beginPath();
    tracePath(ctx, this.sansha, v);
    ctx.fillStyle = LAND;
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = COAST;
    ctx.stroke();

    this.drawLabels(ctx, v);
  }

  private drawLabels(ctx: CanvasRenderingContext2D, v: View): void {
    ctx.font = '600 13px system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    ctx.lineWidth = 3;
    ctx.strokeStyle = HALO;
    ctx.fillStyle = LABEL;
    for (const l of this.labels) {
      // Sansha sits alone far south: always name it, so a panning officer knows where they are.
      if (v.zoom < LABEL_MIN_ZOOM && l.adcode !== SANSHA) continue;
      const county = countyByAdcode(l.adcode);
      if (!county) continue;
      const text = countyName(county, lang(), true);
      const x = l.x * v.scale - v.ox;
      const y = l.y * v.scale - v.oy;
      ctx.strokeText(text, x, y);
      ctx.fillText(text, x, y);
    }
  }
}

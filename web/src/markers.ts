// The entity layer: every record of the visible layers drawn on one canvas, as a disc coloured by
// its state (a ring when the state is "silent"), vessels as arrows along their course, areas (the
// park) as shapes, and, below DETAIL_ZOOM, crowded spots aggregated into counted circles.
// Discs of one colour go into one path, so 10,000 markers cost a handful of fill calls.

import type L from 'leaflet';
import { CanvasLayer, type View } from './canvasLayer';
import { type Cluster, type Placed, gridCluster } from './cluster';
import type { Rec } from './entities';
import { latOfMercY, lonOfMercX, mercX, mercY, pointInPolygon } from './geo';
import type { LayerId } from './layers';

/** From this zoom on, every entity is drawn on its own. */
export const DETAIL_ZOOM = 13;
const CELL_PX = 48;
/** Fewer points than this in a cell are drawn one by one. */
const CLUSTER_MIN = 4;
const OUTLINE = 'rgba(255, 255, 255, 0.9)';
const CLUSTER_FILL = 'rgba(8, 20, 34, 0.88)';
const AREA_FILL = 'rgba(82, 183, 136, 0.16)';
const AREA_STROKE = 'rgba(120, 220, 170, 0.9)';
const SELECTED = '#ffffff';

export type Hit = { kind: 'entity'; rec: Rec } | { kind: 'cluster'; lat: number; lon: number; count: number };

interface Drawn {
  x: number;
  y: number;
  r: number;
  hit: Hit;
}

export interface MarkerSource {
  /** The records to draw (live, or as they were at the replay time). */
  records(): Iterable<Rec>;
  visible(): ReadonlySet<LayerId>;
  selected(): string | null;
}

function radius(zoom: number): number {
  return zoom >= 11 ? 6 : zoom >= 9 ? 5 : 4;
}

export class MarkerLayer extends CanvasLayer {
  /** What the last draw put where, topmost last, for clicks and hover. */
  private drawn: Drawn[] = [];
  /** Records drawn as areas, for clicks inside them. */
  private areas: Rec[] = [];

  constructor(
    pane: string,
    private readonly source: MarkerSource,
    private readonly onDrawn: (count: number) => void,
  ) {
    super(pane);
    this.canvas.setAttribute('aria-hidden', 'true');
  }

  protected draw(ctx: CanvasRenderingContext2D, v: View): void {
    const visible = this.source.visible();
    const placed: Placed<Rec>[] = [];
    this.areas = [];
    const margin = 20;
    for (const rec of this.source.records()) {
      if (!visible.has(rec.layer) || Number.isNaN(rec.mx)) continue;
      if (rec.polygons.length > 0) this.areas.push(rec);
      const x = rec.mx * v.scale;
      const y = rec.my * v.scale;
      if (x < v.ox - margin || y < v.oy - margin || x > v.ox + v.width + margin || y > v.oy + v.height + margin) continue;
      placed.push({ x, y, rank: rec.state.rank, item: rec });
    }
    this.drawAreas(ctx, v);
    const { clusters, singles } = v.zoom >= DETAIL_ZOOM ? { clusters: [], singles: placed } : gridCluster(placed, CELL_PX, CLUSTER_MIN);
    this.drawn = [];
    this.drawSingles(ctx, v, singles);
    this.drawClusters(ctx, v, clusters);
    this.drawSelection(ctx);
    this.onDrawn(placed.length);
  }

  private drawAreas(ctx: CanvasRenderingContext2D, v: View): void {
    ctx.beginPath();
    for (const rec of this.areas) {
      for (const poly of rec.polygons) {
        for (const ring of poly) {
          ring.forEach(([lon, lat], i) => {
            const x = mercX(lon) * v.scale - v.ox;
            const y = mercY(lat) * v.scale - v.oy;
            if (i === 0) ctx.moveTo(x, y);
            else ctx.lineTo(x, y);
          });
          ctx.closePath();
        }
      }
    }
    ctx.fillStyle = AREA_FILL;
    ctx.fill('evenodd');
    ctx.setLineDash([]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = AREA_STROKE;
    ctx.stroke();
  }

  private drawSingles(ctx: CanvasRenderingContext2D, v: View, singles: readonly Placed<Rec>[]): void {
    const r = radius(v.zoom);
    // One path per look: [colour, hollow, arrow].
    const groups = new Map<string, Placed<Rec>[]>();
    for (const p of singles) {
      const rec = p.item;
      const key = `${rec.state.colour}|${rec.state.hollow ? 1 : 0}|${rec.heading !== null ? 1 : 0}`;
      const g = groups.get(key);
      if (g) g.push(p);
      else groups.set(key, [p]);
    }
    ctx.setLineDash([]);
    for (const [key, group] of groups) {
      const [colour, hollow, arrow] = key.split('|');
      ctx.beginPath();
      for (const p of group) {
        const x = p.x - v.ox;
        const y = p.y - v.oy;
        if (arrow === '1') traceArrow(ctx, x, y, p.item.heading ?? 0, r + 3);
        else {
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, 2 * Math.PI);
        }
        this.drawn.push({ x, y, r: r + 2, hit: { kind: 'entity', rec: p.item } });
      }
      if (hollow === '1') {
        ctx.lineWidth = 2.5;
        ctx.strokeStyle = colour;
        ctx.stroke();
      } else {
        ctx.fillStyle = colour;
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.strokeStyle = OUTLINE;
        ctx.stroke();
      }
    }
  }

  private drawClusters(ctx: CanvasRenderingContext2D, v: View, clusters: readonly Cluster<Rec>[]): void {
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const c of clusters) {
      const x = c.x - v.ox;
      const y = c.y - v.oy;
      const r = 11 + 3 * Math.log10(c.count);
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = CLUSTER_FILL;
      ctx.fill();
      ctx.lineWidth = 4;
      ctx.strokeStyle = c.worst.item.state.colour;
      ctx.stroke();
      ctx.fillStyle = '#ffffff';
      ctx.fillText(c.count >= 10000 ? `${Math.round(c.count / 1000)}k` : String(c.count), x, y);
      this.drawn.push({ x, y, r, hit: { kind: 'cluster', lon: lonOfMercX(c.x / v.scale), lat: latOfMercY(c.y / v.scale), count: c.count } });
    }
  }

  private drawSelection(ctx: CanvasRenderingContext2D): void {
    const id = this.source.selected();
    const hit = id ? this.drawn.find((d) => d.hit.kind === 'entity' && d.hit.rec.id === id) : undefined;
    if (!hit) return;
    ctx.beginPath();
    ctx.arc(hit.x, hit.y, hit.r + 5, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = SELECTED;
    ctx.setLineDash([4, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  /** What is under a point of the map container: a marker, a cluster or an area, topmost first. */
  hitTest(p: L.Point): Hit | null {
    const c = this.containerToCanvas(p);
    let best: Drawn | null = null;
    let bestD = Infinity;
    for (const d of this.drawn) {
      const dist = Math.hypot(d.x - c.x, d.y - c.y);
      if (dist <= d.r + 3 && dist <= bestD) {
        best = d;
        bestD = dist;
      }
    }
    if (best) return best.hit;
    const ll = this._map.containerPointToLatLng(p);
    const area = this.areas.find((rec) => rec.polygons.some((poly) => pointInPolygon(poly, ll.lng, ll.lat)));
    return area ? { kind: 'entity', rec: area } : null;
  }
}

/** A narrow arrowhead pointing along `headingDeg` (clockwise from north) centred on (x, y). */
function traceArrow(ctx: CanvasRenderingContext2D, x: number, y: number, headingDeg: number, len: number): void {
  const a = (headingDeg * Math.PI) / 180;
  const fx = Math.sin(a);
  const fy = -Math.cos(a);
  const half = len * 0.55;
  ctx.moveTo(x + fx * len, y + fy * len);
  ctx.lineTo(x - fx * half - fy * half, y - fy * half + fx * half);
  ctx.lineTo(x - fx * half * 0.4, y - fy * half * 0.4);
  ctx.lineTo(x - fx * half + fy * half, y - fy * half - fx * half);
  ctx.closePath();
}

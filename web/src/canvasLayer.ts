// A Leaflet layer that draws on one canvas, the way Leaflet's own canvas renderer does: the canvas
// covers the view plus a margin, sits still in the map pane while the user drags (so panning costs
// no drawing at all), is scaled by CSS during zoom animations, and is redrawn once the view settles
// or when the data asks for it, at most once per animation frame.
// Subclasses draw in "world pixels" (Web Mercator × 256·2^zoom) minus the view's offset.

import L from 'leaflet';

/** Margin drawn beyond each side of the view, as a share of its size: what a drag may reveal. */
const PADDING = 0.2;

export interface View {
  zoom: number;
  /** World pixels per unit of Web Mercator: 256·2^zoom. */
  scale: number;
  /** World pixel coordinates of the canvas's top-left corner. */
  ox: number;
  oy: number;
  /** Canvas size in CSS pixels. */
  width: number;
  height: number;
}

export abstract class CanvasLayer extends L.Layer {
  protected readonly canvas: HTMLCanvasElement;
  protected readonly ctx: CanvasRenderingContext2D;
  protected view: View = { zoom: 0, scale: 256, ox: 0, oy: 0, width: 0, height: 0 };
  private frame = 0;
  private topLeft = L.point(0, 0);
  /** Between movestart and moveend: data redraws wait for the view to settle (moveend redraws). */
  private moving = false;

  constructor(private readonly paneName: string) {
    super();
    this.canvas = L.DomUtil.create('canvas', 'leaflet-zoom-animated twinisle-canvas');
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
  }

  override onAdd(map: L.Map): this {
    map.getPane(this.paneName)?.appendChild(this.canvas);
    map.on('moveend resize', this.reset, this);
    map.on('movestart', this.holdRedraws, this);
    map.on('zoomanim', this.animateZoom, this);
    this.reset();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off('moveend resize', this.reset, this);
    map.off('movestart', this.holdRedraws, this);
    map.off('zoomanim', this.animateZoom, this);
    this.canvas.remove();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    return this;
  }

  /** Asks for a redraw in the next animation frame; many asks make one redraw. While the user
   *  pans or zooms, drawing would only compete with the movement: the redraw at moveend covers it. */
  requestRedraw(): void {
    if (this.frame || !this._map || this.moving) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redrawNow();
    });
  }

  /** Draws the layer; `ctx` is cleared and scaled to CSS pixels. */
  protected abstract draw(ctx: CanvasRenderingContext2D, view: View): void;

  /** The canvas position (CSS pixels) of a point of the map container, for hit tests. */
  protected containerToCanvas(p: L.Point): L.Point {
    return this._map.containerPointToLayerPoint(p).subtract(this.topLeft);
  }

  private redrawNow(): void {
    const { width, height } = this.view;
    this.ctx.clearRect(0, 0, width, height);
    this.draw(this.ctx, this.view);
  }

  private holdRedraws(): void {
    this.moving = true;
  }

  private reset(): void {
    this.moving = false;
    const map = this._map;
    const size = map.getSize();
    const pad = size.multiplyBy(PADDING).round();
    this.topLeft = map.containerPointToLayerPoint([0, 0]).subtract(pad).round();
    const width = size.x + 2 * pad.x;
    const height = size.y + 2 * pad.y;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    L.DomUtil.setPosition(this.canvas, this.topLeft);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const zoom = map.getZoom();
    const origin = map.getPixelOrigin();
    this.view = { zoom, scale: 256 * 2 ** zoom, ox: origin.x + this.topLeft.x, oy: origin.y + this.topLeft.y, width, height };
    this.redrawNow();
  }

  /** Scales and moves the canvas with Leaflet's zoom animation until `moveend` redraws it. */
  private animateZoom(e: L.ZoomAnimEvent): void {
    const map = this._map;
    const scale = map.getZoomScale(e.zoom, this.view.zoom);
    const corner = map.unproject(L.point(this.view.ox, this.view.oy), this.view.zoom);
    // The pixel origin Leaflet will use at the new zoom (its private _getNewPixelOrigin).
    const panePos = L.DomUtil.getPosition(map.getPane('mapPane') as HTMLElement) ?? L.point(0, 0);
    const newOrigin = map.project(e.center, e.zoom).subtract(map.getSize().divideBy(2)).add(panePos).round();
    L.DomUtil.setTransform(this.canvas, map.project(corner, e.zoom).subtract(newOrigin), scale);
  }
}

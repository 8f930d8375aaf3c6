// A small SVG chart of one attribute's history: the min–max band and the average line per
// aggregation period, optional reference lines (a gauge's alert and danger levels) and the replay
// playhead. Periods with no data leave a gap rather than a made-up line.

import type { Bucket } from './temporal';

const W = 320;
const H = 110;
const PAD = { left: 58, right: 8, top: 8, bottom: 20 };
const SVG = 'http://www.w3.org/2000/svg';

export interface ChartInput {
  avg: readonly Bucket[];
  min: readonly Bucket[];
  max: readonly Bucket[];
  from: number;
  to: number;
  /** Horizontal reference lines, drawn dashed in their colour. */
  references?: readonly { value: number; colour: string }[];
  playhead?: number | null;
  formatValue: (v: number) => string;
  formatTime: (ms: number) => string;
  /** Text alternative for screen readers. */
  label: string;
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Splits buckets where consecutive periods are not adjacent (no data in between). */
export function segments(buckets: readonly Bucket[]): Bucket[][] {
  const out: Bucket[][] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    if (prev && b.start - prev.end <= (prev.end - prev.start) * 0.5) last.push(b);
    else out.push([b]);
  }
  return out;
}

export function renderChart(c: ChartInput): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart' });
  svg.setAttribute('aria-label', c.label);
  const values = [...c.avg, ...c.min, ...c.max].map((b) => b.value).concat((c.references ?? []).map((r) => r.value));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const margin = (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const span = Math.max(1, c.to - c.from);
  const x = (ms: number): number => PAD.left + ((ms - c.from) / span) * (W - PAD.left - PAD.right);
  const y = (v: number): number => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const mid = (b: Bucket): number => x((b.start + b.end) / 2);

  svg.append(el('rect', { x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: H - PAD.top - PAD.bottom, class: 'chart-bg' }));
  const maxByStart = new Map(c.max.map((b) => [b.start, b.value]));
  for (const seg of segments(c.min)) {
    const upper = seg.filter((b) => maxByStart.has(b.start));
    if (upper.length === 0) continue;
    const top = upper.map((b) => `${mid(b)},${y(maxByStart.get(b.start) ?? b.value)}`);
    const bottom = [...upper].reverse().map((b) => `${mid(b)},${y(b.value)}`);
    svg.append(el('polygon', { points: [...top, ...bottom].join(' '), class: 'chart-band' }));
  }
  for (const seg of segments(c.avg)) {
    if (seg.length === 1) svg.append(el('circle', { cx: mid(seg[0]), cy: y(seg[0].value), r: 2, class: 'chart-dot' }));
    else svg.append(el('polyline', { points: seg.map((b) => `${mid(b)},${y(b.value)}`).join(' '), class: 'chart-line' }));
  }
  for (const r of c.references ?? []) {
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(r.value), y2: y(r.value), stroke: r.colour, class: 'chart-ref' }));
  }
  if (c.playhead !== null && c.playhead !== undefined && c.playhead >= c.from && c.playhead <= c.to) {
    svg.append(el('line', { x1: x(c.playhead), x2: x(c.playhead), y1: PAD.top, y2: H - PAD.bottom, class: 'chart-playhead' }));
  }
  const text = (s: string, attrs: Record<string, string | number>): void => {
    const t = el('text', attrs);
    t.textContent = s;
    svg.append(t);
  };
  text(c.formatValue(hi - margin), { x: PAD.left - 4, y: PAD.top + 4, 'text-anchor': 'end', class: 'chart-axis' });
  text(c.formatValue(lo + margin), { x: PAD.left - 4, y: H - PAD.bottom, 'text-anchor': 'end', class: 'chart-axis' });
  text(c.formatTime(c.from), { x: PAD.left, y: H - 5, 'text-anchor': 'start', class: 'chart-axis' });
  text(c.formatTime(c.to), { x: W - PAD.right, y: H - 5, 'text-anchor': 'end', class: 'chart-axis' });
  return svg;
}

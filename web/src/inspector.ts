// The entity inspector: one entity's attributes as people read them (units, observation times,
// relationships as links to the related entity) and a chart of every numeric attribute over the
// replay window, from the temporal API aggregated to fit the chart.

import type { Api } from './api';
import { ApiError } from './api';
import type { Banner } from './banner';
import { renderChart } from './chart';
import { RANK_COLOURS } from './colour';
import { MISSING, displayName, formatClock, formatNumber, formatPoint, formatTime, formatValue, localText, unitSymbol } from './format';
import type { Geometry } from './geo';
import { representativePoint } from './geo';
import { type MessageKey, attrLabel, isKey, onLangChange, t } from './i18n';
import { layerOf } from './layers';
import { type AggrMethod, type Bucket, aggregationPeriod } from './temporal';

type Attr = Record<string, unknown>;
type Entity = Record<string, unknown> & { id?: string; type?: unknown };

/** Shown first, in this order; the rest follow as the server sent them, location last. */
const FIRST = ['name', 'alternateName', 'description'];
const NOT_ATTRIBUTES = new Set(['id', 'type', '@context', 'scope', 'createdAt', 'modifiedAt']);
/** Live values are re-read at most this often while the stream reports changes. */
const REFRESH_MS = 3000;

export interface InspectorHooks {
  /** The period the charts cover: the replay window. */
  window(): [number, number];
  /** The replay time, or null when live. */
  playhead(): number | null;
  /** Centre the map on an entity. */
  showOnMap(id: string, lon: number, lat: number): void;
  /** The inspected entity changed (null: closed), for the map's selection ring. */
  selected(id: string | null): void;
  /** The state the map shows for an entity (as of the replay time while replaying). */
  stateOf(id: string): MessageKey | null;
}

export class Inspector {
  private id: string | null = null;
  private entity: Entity | null = null;
  private history: Map<string, Record<AggrMethod, Bucket[]>> | null = null;
  private historyWindow: [number, number] = [0, 0];
  private abort: AbortController | null = null;
  private returnFocus: HTMLElement | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly title: HTMLElement;
  private readonly body: HTMLElement;
  /** The charts, re-rendered alone when only the playhead moves. */
  private charts: HTMLElement = document.createElement('section');

  constructor(
    private readonly root: HTMLElement,
    private readonly api: Api,
    private readonly banner: Banner,
    private readonly hooks: InspectorHooks,
  ) {
    this.title = root.querySelector('#inspector-title') as HTMLElement;
    this.body = root.querySelector('.inspector-body') as HTMLElement;
    root.querySelector('.inspector-close')?.addEventListener('click', () => this.close());
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
    onLangChange(() => this.render());
  }

  get current(): string | null {
    return this.id;
  }

  /** Shows entity `id`; focus moves into the panel and comes back to `opener` on close. */
  open(id: string, opener: HTMLElement | null = null): void {
    this.returnFocus = opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    this.id = id;
    this.entity = null;
    this.history = null;
    this.root.hidden = false;
    this.hooks.selected(id);
    this.render();
    this.title.focus();
    void this.load(true);
  }

  close(): void {
    if (this.id === null) return;
    this.abort?.abort();
    this.id = null;
    this.root.hidden = true;
    this.hooks.selected(null);
    this.returnFocus?.focus();
  }

  /** The stream changed entity `id`: re-read it if it is the one shown (throttled). */
  entityChanged(id: string): void {
    if (id !== this.id || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.load(false);
    }, REFRESH_MS);
  }

  /** The replay window or playhead moved: redraw charts, re-reading history if the window changed. */
  timeChanged(): void {
    if (this.id === null) return;
    const [from, to] = this.hooks.window();
    if (from !== this.historyWindow[0] || to !== this.historyWindow[1]) void this.load(false);
    else if (this.entity) this.renderCharts(this.entity);
  }

  private async load(withHistory: boolean): Promise<void> {
    const id = this.id;
    if (id === null) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const [from, to] = this.hooks.window();
    const historyNeeded = withHistory || from !== this.historyWindow[0] || to !== this.historyWindow[1];
    try {
      this.entity = await this.api.entity(id, abort.signal);
      this.banner.clear('inspector');
      this.render();
      if (historyNeeded) {
        this.history = await this.api.aggregated(id, from, to, aggregationPeriod(to - from), abort.signal);
        this.historyWindow = [from, to];
        this.renderCharts(this.entity);
      }
    } catch (e) {
      if (abort.signal.aborted) return;
      if (e instanceof ApiError && e.status === 404 && this.entity === null) {
        this.renderMessage(t('inspector.notFound'));
        return;
      }
      const what = this.entity ? { key: 'what.history' as const, params: { id } } : { key: 'what.entity' as const, params: { id } };
      this.banner.reportError('inspector', what, e);
      if (!this.entity) this.renderMessage(t('inspector.failed'));
    }
  }

  private renderMessage(text: string): void {
    const p = document.createElement('p');
    p.textContent = text;
    this.body.replaceChildren(p);
  }

  private render(): void {
    if (this.id === null) return;
    const e = this.entity;
    this.title.textContent = e ? displayName({ id: this.id, type: '', name: plain(e.name), alternateName: plain(e.alternateName) }) : this.id;
    if (!e) {
      this.renderMessage(t('inspector.loading'));
      return;
    }
    this.charts = document.createElement('section');
    this.body.replaceChildren(this.renderHeader(e), this.renderAttributes(e), this.charts);
    this.renderCharts(e);
  }

  private renderHeader(e: Entity): HTMLElement {
    const dl = document.createElement('dl');
    dl.className = 'inspector-meta';
    const type = Array.isArray(e.type) ? e.type.join(', ') : String(e.type ?? MISSING);
    const layer = layerOf(type);
    const layerKey = layer ? `layer.${layer}` : '';
    addRow(dl, t('inspector.id'), text(String(e.id ?? this.id)));
    addRow(dl, t('inspector.type'), text(isKey(layerKey) ? `${t(layerKey)} (${type})` : type));
    const state = this.hooks.stateOf(String(e.id ?? this.id));
    if (state) addRow(dl, t('inspector.state'), text(t(state)));
    const point = representativePoint(value(e.location) as Geometry | undefined);
    if (point) {
      const show = document.createElement('button');
      show.type = 'button';
      show.className = 'link';
      show.textContent = t('inspector.showOnMap');
      show.addEventListener('click', () => this.hooks.showOnMap(String(e.id), point[0], point[1]));
      addRow(dl, t('attr.location'), text(formatPoint(point[0], point[1])), show);
    }
    return dl;
  }

  private renderAttributes(e: Entity): HTMLElement {
    const section = document.createElement('section');
    const h = document.createElement('h3');
    h.textContent = t('inspector.attributes');
    const dl = document.createElement('dl');
    dl.className = 'inspector-attrs';
    const names = Object.keys(e).filter((k) => !NOT_ATTRIBUTES.has(k) && k !== 'location');
    names.sort((a, b) => rankOf(a) - rankOf(b));
    for (const name of names) {
      const instances = Array.isArray(e[name]) ? (e[name] as unknown[]) : [e[name]];
      for (const inst of instances) addRow(dl, attrLabel(name), ...this.renderValue(name, inst as Attr));
    }
    section.append(h, dl);
    return section;
  }

  private renderValue(name: string, a: Attr): HTMLElement[] {
    if (typeof a !== 'object' || a === null) return [text(formatValue(a))];
    const out: HTMLElement[] = [];
    if (a.type === 'Relationship') {
      const targets = Array.isArray(a.object) ? a.object : [a.object];
      for (const target of targets) {
        if (typeof target !== 'string') continue;
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'link';
        link.textContent = target;
        link.addEventListener('click', () => this.open(target, link));
        out.push(link);
      }
    } else if (a.type === 'GeoProperty') {
      const p = representativePoint(a.value as Geometry);
      out.push(text(p ? formatPoint(p[0], p[1]) : String((a.value as Geometry)?.type ?? MISSING)));
    } else if (a.type === 'LanguageProperty') {
      out.push(text(localText(a.languageMap) ?? MISSING));
    } else {
      const v = 'vocab' in a ? a.vocab : 'value' in a ? a.value : a.json;
      out.push(text(formatValue(v, unitSymbol(typeof a.unitCode === 'string' ? a.unitCode : undefined, name))));
    }
    if (typeof a.observedAt === 'string') {
      const when = text(t('inspector.observedAt', { time: formatTime(Date.parse(a.observedAt)) }));
      when.className = 'observed';
      out.push(when);
    }
    return out;
  }

  private renderCharts(e: Entity): void {
    const section = this.charts;
    const h = document.createElement('h3');
    h.textContent = t('inspector.history');
    section.replaceChildren(h);
    if (this.history === null) {
      section.append(text(t('inspector.loading')));
      return;
    }
    const [from, to] = this.historyWindow;
    let any = false;
    for (const [name, series] of this.history) {
      if (series.avg.length === 0) continue;
      any = true;
      const attr = (Array.isArray(e[name]) ? (e[name] as Attr[])[0] : e[name]) as Attr | undefined;
      const unit = unitSymbol(typeof attr?.unitCode === 'string' ? attr.unitCode : undefined, name);
      const fmt = (v: number): string => formatNumber(v, unit);
      const values = series.avg.map((b) => b.value);
      const figure = document.createElement('figure');
      const caption = document.createElement('figcaption');
      caption.textContent = unit ? `${attrLabel(name)} (${unit})` : attrLabel(name);
      figure.append(
        caption,
        renderChart({
          ...series,
          from,
          to,
          references: name === 'waterLevel' || name === 'currentLevel' ? thresholds(e) : [],
          playhead: this.hooks.playhead(),
          formatValue: fmt,
          formatTime: formatClock,
          label: t('chart.summary', {
            attr: attrLabel(name),
            from: formatTime(from),
            to: formatTime(to),
            min: fmt(Math.min(...series.min.map((b) => b.value), ...values)),
            max: fmt(Math.max(...series.max.map((b) => b.value), ...values)),
            last: fmt(values[values.length - 1]),
          }),
        }),
      );
      section.append(figure);
    }
    if (!any) section.append(text(t('inspector.noHistory')));
  }
}

function rankOf(name: string): number {
  const i = FIRST.indexOf(name);
  return i < 0 ? FIRST.length : i;
}

/** The value of a normalized attribute (first instance of a multi-attribute). */
function value(a: unknown): unknown {
  const first = Array.isArray(a) ? a[0] : a;
  return first && typeof first === 'object' && 'value' in first ? (first as Attr).value : undefined;
}

/** A name attribute as keyValues would give it: the value, or the LanguageProperty's map. */
function plain(a: unknown): unknown {
  const first = (Array.isArray(a) ? a[0] : a) as Attr | undefined;
  return first?.type === 'LanguageProperty' ? first.languageMap : value(first);
}

/** A gauge's alert and danger levels as chart reference lines. */
function thresholds(e: Entity): { value: number; colour: string }[] {
  const out: { value: number; colour: string }[] = [];
  const alert = value(e.alertLevel);
  const danger = value(e.dangerLevel);
  if (typeof alert === 'number') out.push({ value: alert, colour: RANK_COLOURS[2] });
  if (typeof danger === 'number') out.push({ value: danger, colour: RANK_COLOURS[3] });
  return out;
}

function text(s: string): HTMLElement {
  const span = document.createElement('span');
  span.textContent = s;
  return span;
}

function addRow(dl: HTMLDListElement, label: string, ...values: HTMLElement[]): void {
  const dt = document.createElement('dt');
  dt.textContent = label;
  const dd = document.createElement('dd');
  dd.append(...values);
  dl.append(dt, dd);
}

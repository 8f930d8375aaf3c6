// The county summary: per city or county, how many entities of each layer and the worst current
// value among them, worst county first. Counted from the entities the dashboard holds (every
// entity of the shown layers), so it needs no extra request.

import { COUNTIES, countyByAdcode, countyName } from './counties';
import type { Rec } from './entities';
import { displayName, formatNumber, unitSymbol } from './format';
import { attrLabel, lang, onLangChange, t } from './i18n';
import { type LayerId, PANEL_ORDER } from './layers';

/** Entities outside every county (vessels at sea, mostly). */
export const AT_SEA = 'sea';

export interface LayerSummary {
  count: number;
  /** The entity in the worst state (unknown states count only when nothing else is known). */
  worst: Rec;
}

export interface CountySummary {
  /** Adcode, or AT_SEA. */
  key: string;
  total: number;
  worstRank: number;
  layers: Map<LayerId, LayerSummary>;
}

export function summarise(recs: Iterable<Rec>): CountySummary[] {
  const byKey = new Map<string, CountySummary>();
  for (const rec of recs) {
    const key = rec.county ?? AT_SEA;
    let c = byKey.get(key);
    if (!c) {
      c = { key, total: 0, worstRank: -1, layers: new Map() };
      byKey.set(key, c);
    }
    c.total++;
    c.worstRank = Math.max(c.worstRank, rec.state.rank);
    const l = c.layers.get(rec.layer);
    if (!l) c.layers.set(rec.layer, { count: 1, worst: rec });
    else {
      l.count++;
      if (rec.state.rank > l.worst.state.rank) l.worst = rec;
    }
  }
  const order = new Map(COUNTIES.map((c, i) => [c.adcode, i]));
  return [...byKey.values()].sort(
    (a, b) => b.worstRank - a.worstRank || (order.get(a.key) ?? 99) - (order.get(b.key) ?? 99),
  );
}

/** "Water level 5.2 m · Above alert level" for the worst entity of a layer. */
export function worstText(rec: Rec): string {
  const s = rec.state;
  const label = t(s.label);
  if (s.attr === undefined || s.value === undefined) return label;
  return `${attrLabel(s.attr)} ${formatNumber(s.value, unitSymbol(undefined, s.attr))} · ${label}`;
}

/** The panel: a table per county, re-rendered at most every RENDER_MS while data changes. */
export class SummaryPanel {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly recs: () => Iterable<Rec>,
    private readonly hooks: { inspect(id: string, opener: HTMLElement): void; zoomTo(adcode: string): void },
  ) {
    onLangChange(() => this.render());
  }

  /** Data changed: re-render soon (coalesced), unless the panel is folded away. */
  changed(): void {
    if (this.timer || this.root.hidden) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.render();
    }, 2000);
  }

  render(): void {
    const rows = summarise(this.recs());
    if (rows.length === 0) {
      const p = document.createElement('p');
      p.textContent = t('summary.empty');
      this.root.replaceChildren(p);
      return;
    }
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent = t('summary.note');
    this.root.replaceChildren(note, ...rows.map((c) => this.county(c)));
  }

  private county(c: CountySummary): HTMLElement {
    const county = countyByAdcode(c.key);
    const name = county ? countyName(county, lang()) : t('summary.atSea');
    const section = document.createElement('section');
    section.className = 'county';
    const h = document.createElement('h3');
    if (county) {
      const zoom = document.createElement('button');
      zoom.type = 'button';
      zoom.className = 'link county-name';
      zoom.textContent = name;
      zoom.title = t('summary.zoomTo', { county: name });
      zoom.addEventListener('click', () => this.hooks.zoomTo(c.key));
      h.append(zoom);
    } else {
      h.textContent = name;
    }
    const total = document.createElement('span');
    total.className = 'county-total';
    total.textContent = t('summary.entities', { n: c.total });
    h.append(' ', total);
    const ul = document.createElement('ul');
    for (const layer of PANEL_ORDER) {
      const l = c.layers.get(layer);
      if (!l) continue;
      const li = document.createElement('li');
      li.className = `rank-${l.worst.state.rank}`;
      const label = document.createElement('span');
      label.textContent = `${t(`layer.${layer}`)} ${l.count}`;
      const worst = document.createElement('button');
      worst.type = 'button';
      worst.className = 'link';
      worst.textContent = t('summary.worst', { value: worstText(l.worst) });
      worst.title = displayName(l.worst.values);
      worst.addEventListener('click', () => this.hooks.inspect(l.worst.id, worst));
      li.append(label, worst);
      ul.append(li);
    }
    section.append(h, ul);
    return section;
  }
}

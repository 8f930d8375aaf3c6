// The layer switches: one labelled checkbox per layer with its entity count, and the legend of
// the state colours.

import { RANK_COLOURS, UNKNOWN_COLOUR } from './colour';
import type { Rec } from './entities';
import { type MessageKey, onLangChange, t } from './i18n';
import { type LayerId, PANEL_ORDER } from './layers';

const LEGEND: readonly (readonly [string, MessageKey])[] = [
  [RANK_COLOURS[0], 'aqi.excellent'],
  [RANK_COLOURS[1], 'aqi.good'],
  [RANK_COLOURS[2], 'aqi.light'],
  [RANK_COLOURS[3], 'aqi.moderate'],
  [RANK_COLOURS[4], 'aqi.heavy'],
  [RANK_COLOURS[5], 'aqi.severe'],
  [UNKNOWN_COLOUR, 'state.unknown'],
];
/** Drawn as a ring: the state is about missing data. */
const HOLLOW: readonly MessageKey[] = ['state.silent'];

export class LayerPanel {
  private readonly enabled = new Set<LayerId>(PANEL_ORDER);
  private readonly boxes = new Map<LayerId, { input: HTMLInputElement; label: HTMLElement; count: HTMLElement }>();
  private counts = new Map<LayerId, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    root: HTMLElement,
    private readonly recs: () => Iterable<Rec>,
    private readonly onToggle: (added: LayerId[], removed: LayerId[]) => void,
  ) {
    const list = document.createElement('ul');
    list.className = 'layer-list';
    for (const id of PANEL_ORDER) {
      const li = document.createElement('li');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.id = `layer-${id}`;
      input.checked = true;
      input.dataset.layer = id;
      input.addEventListener('change', () => this.toggle(id, input.checked));
      const label = document.createElement('label');
      label.htmlFor = input.id;
      const name = document.createElement('span');
      const count = document.createElement('span');
      count.className = 'count';
      label.append(name, count);
      li.append(input, label);
      list.append(li);
      this.boxes.set(id, { input, label: name, count });
    }
    const legend = document.createElement('ul');
    legend.className = 'legend';
    legend.dataset.legend = '';
    const note = document.createElement('p');
    note.className = 'note';
    root.append(list, legend, note);
    const render = (): void => {
      for (const [id, box] of this.boxes) box.label.textContent = t(`layer.${id}`);
      legend.replaceChildren(
        ...LEGEND.map(([colour, key]) => {
          const li = document.createElement('li');
          const swatch = document.createElement('span');
          swatch.className = 'swatch';
          swatch.style.background = colour;
          li.append(swatch, t(key));
          return li;
        }),
        ...HOLLOW.map((key) => {
          const li = document.createElement('li');
          const swatch = document.createElement('span');
          swatch.className = 'swatch hollow';
          li.append(swatch, t(key));
          return li;
        }),
      );
      note.textContent = t('map.legendCluster');
      this.renderCounts();
    };
    onLangChange(render);
    render();
  }

  /** The layers switched on. */
  layers(): ReadonlySet<LayerId> {
    return this.enabled;
  }

  private toggle(id: LayerId, on: boolean): void {
    if (on) this.enabled.add(id);
    else this.enabled.delete(id);
    this.onToggle(on ? [id] : [], on ? [] : [id]);
    this.changed();
  }

  /** Data changed: recount soon (coalesced). */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.counts = new Map();
      for (const rec of this.recs()) this.counts.set(rec.layer, (this.counts.get(rec.layer) ?? 0) + 1);
      this.renderCounts();
    }, 1000);
  }

  private renderCounts(): void {
    for (const [id, box] of this.boxes) {
      const n = this.counts.get(id) ?? 0;
      box.count.textContent = this.enabled.has(id) ? String(n) : '';
      box.count.dataset.count = String(n);
      box.input.setAttribute('aria-label', t('layer.toggle', { layer: t(`layer.${id}`), n }));
    }
  }
}

// Search by entity id, name or type over the entities the dashboard holds; an id it does not
// hold (say, of a hidden layer) can still be opened directly.

import type { Rec } from './entities';
import { displayName, localText } from './format';
import { onLangChange, t } from './i18n';
import { localType } from './layers';

export interface SearchHit {
  rec: Rec;
  score: number;
}

/** Lower scores first: exact id, id prefix, name prefix, id or name substring, type. */
function score(rec: Rec, q: string): number {
  const id = rec.id.toLowerCase();
  if (id === q) return 0;
  if (id.startsWith(q)) return 1;
  const names = [localText(rec.values.name), localText(rec.values.alternateName)].map((n) => (n ?? '').toLowerCase());
  if (names.some((n) => n.startsWith(q))) return 2;
  if (names.some((n) => n.includes(q)) || id.includes(q)) return 3;
  if (localType(rec.type).toLowerCase().includes(q)) return 4;
  return Infinity;
}

/** The best `limit` matches of `query` among `recs`. */
export function searchRecs(recs: Iterable<Rec>, query: string, limit = 20): SearchHit[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: SearchHit[] = [];
  for (const rec of recs) {
    const s = score(rec, q);
    if (s !== Infinity) hits.push({ rec, score: s });
  }
  hits.sort((a, b) => a.score - b.score || a.rec.id.localeCompare(b.rec.id));
  return hits.slice(0, limit);
}

/** The search box and its result list: type, then Enter, arrows or Tab to reach a result. */
export class SearchPanel {
  private readonly input: HTMLInputElement;
  private readonly results: HTMLElement;
  private readonly status: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly recs: () => Iterable<Rec>,
    private readonly choose: (id: string, opener: HTMLElement) => void,
  ) {
    this.input = root.querySelector('input') as HTMLInputElement;
    this.results = root.querySelector('.search-results') as HTMLElement;
    this.status = root.querySelector('.search-status') as HTMLElement;
    this.input.addEventListener('input', () => this.update());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'Enter') {
        const first = this.results.querySelector('button');
        if (first) {
          e.preventDefault();
          if (e.key === 'Enter') first.click();
          else first.focus();
        }
      }
    });
    this.results.addEventListener('keydown', (e) => this.moveFocus(e));
    onLangChange(() => this.update());
  }

  private moveFocus(e: KeyboardEvent): void {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...this.results.querySelectorAll('button')];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    e.preventDefault();
    const next = e.key === 'ArrowDown' ? buttons[i + 1] : (buttons[i - 1] ?? this.input);
    next?.focus();
  }

  private update(): void {
    const query = this.input.value.trim();
    const hits = searchRecs(this.recs(), query);
    const items = hits.map(({ rec }) => this.item(rec.id, displayName(rec.values), rec.type));
    // An id we do not hold may still exist: offer to open it.
    if (hits.length === 0 && /^urn:/i.test(query)) items.push(this.item(query, query, ''));
    this.results.replaceChildren(...items);
    this.status.textContent = query ? (items.length ? t('search.results', { n: items.length }) : t('search.none')) : '';
  }

  private item(id: string, name: string, type: string): HTMLLIElement {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'search-hit';
    const title = document.createElement('span');
    title.className = 'hit-name';
    title.textContent = name;
    const detail = document.createElement('span');
    detail.className = 'hit-detail';
    detail.textContent = type ? `${localType(type)} · ${id}` : id;
    b.append(title, detail);
    b.addEventListener('click', () => this.choose(id, b));
    li.append(b);
    return li;
  }
}

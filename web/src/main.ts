// Wires the dashboard together: the map and its layers, the live copy of the twin and what keeps
// it current, and the panels around them. Each part lives in its own module; this file only
// connects their events.

import 'leaflet/dist/leaflet.css';
import './style.css';
import L from 'leaflet';
import { Api } from './api';
import { Banner } from './banner';
import { BaseMapLayer, loadBaseMap } from './basemap';
import { CountyIndex } from './counties';
import { EntityStore, type KeyValues, type Rec, toRec } from './entities';
import { initialLang, lang, setLang, t, translateStatic } from './i18n';
import { Inspector } from './inspector';
import { LayerPanel } from './layerPanel';
import { BASEMAP_PANE, ENTITY_PANE, createMap, viewBbox } from './map';
import { DETAIL_ZOOM, MarkerLayer } from './markers';
import { Replay } from './replay';
import { SearchPanel } from './search';
import { ConnectionIndicator } from './status';
import { ChangeStream } from './stream';
import { SummaryPanel } from './summary';
import { LiveSync } from './sync';
import { TimeBar } from './timebar';

/** States that depend on the clock (a device falling silent) are re-derived this often. */
const CLOCK_REFRESH_MS = 60e3;
/** Performance mark set when the first markers are drawn. */
const FIRST_MARKERS = 'twinisle:first-markers';
/** Map moves are followed by the stream once they pause this long. */
const VIEW_DEBOUNCE_MS = 300;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

/** Collapsible sidebar panels: the heading button shows and hides its panel; `onOpen[id]` runs
 *  when panel `id` is shown (panels that skip work while folded catch up then). */
function wirePanels(onOpen: Record<string, () => void>): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-panel-toggle]')) {
    const id = button.getAttribute('aria-controls') ?? '';
    const panel = byId(id);
    button.addEventListener('click', () => {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      panel.hidden = !open;
      if (open) onOpen[id]?.();
    });
  }
}

async function main(): Promise<void> {
  setLang(initialLang());
  translateStatic(document);
  const banner = new Banner(byId('banner'));
  const api = new Api(new URLSearchParams(location.search).get('tenant'));
  const mapEl = byId('map');
  const map = createMap(mapEl);

  let counties = new CountyIndex([]);
  try {
    const base = await loadBaseMap();
    counties = new CountyIndex(base.counties);
    new BaseMapLayer(base, BASEMAP_PANE).addTo(map);
  } catch (e) {
    banner.reportError('basemap', { key: 'what.basemap', params: {} }, e);
  }

  const countyAt = (lon: number, lat: number): string | null => counties.countyAt(lon, lat);
  const store = new EntityStore((e: KeyValues) => toRec(e, Date.now(), countyAt));

  // The parts refer to each other through callbacks; none is called before all exist (the
  // stream, the first caller, opens in sync.start() at the end).
  const conn = new ConnectionIndicator(byId('conn'));
  const stream = new ChangeStream({
    onChange: (ev) => store.applyEvent(ev),
    onResync: () => sync.resync(),
    onGap: () => sync.resync(),
    onState: (s) => {
      conn.set(s);
      if (s === 'offline') banner.report('stream', { key: 'banner.streamDown', params: {} });
      else if (s === 'live') banner.clear('stream');
    },
  });
  const sync: LiveSync = new LiveSync(api, store, stream, banner, { bbox: () => viewBbox(map), layers: () => layerPanel.layers() });
  const layerPanel: LayerPanel = new LayerPanel(byId('layers-panel'), () => store.values(), (added, removed) => {
    sync.layersChanged(added, removed);
    replay.layersChanged();
    markers.requestRedraw();
  });
  const replay: Replay = new Replay(
    api,
    store,
    { layers: () => layerPanel.layers(), types: () => sync.types() },
    (values: KeyValues, at: number, live: Rec) => toRec(values, at, () => live.county),
    banner,
    () => {
      markers.requestRedraw();
      timebar.render();
      inspector.timeChanged();
    },
  );

  let selected: string | null = null;
  const drawnCount = byId('drawn-count');
  const markers: MarkerLayer = new MarkerLayer(
    ENTITY_PANE,
    { records: () => replay.records(), visible: () => layerPanel.layers(), selected: () => selected },
    (n) => {
      // A mark for whoever measures time to the first useful paint (the e2e tests do).
      if (n > 0 && performance.getEntriesByName(FIRST_MARKERS).length === 0) performance.mark(FIRST_MARKERS);
      mapEl.dataset.drawn = String(n);
      drawnCount.textContent = t('map.entitiesDrawn', { n });
    },
  );
  markers.addTo(map);

  const inspector: Inspector = new Inspector(byId('inspector'), api, banner, {
    window: () => replay.window(),
    playhead: () => (replay.state === 'live' ? null : replay.t),
    showOnMap: (_id, lon, lat) => map.setView([lat, lon], Math.max(map.getZoom(), DETAIL_ZOOM)),
    selected: (id) => {
      selected = id;
      markers.requestRedraw();
    },
    stateOf: (id) => replay.record(id)?.state.label ?? null,
  });
  const timebar: TimeBar = new TimeBar(byId('timebar'), replay);

  const focusEntity = (id: string, opener: HTMLElement): void => {
    const rec = store.get(id);
    if (rec && !Number.isNaN(rec.lat)) map.setView([rec.lat, rec.lon], Math.max(map.getZoom(), DETAIL_ZOOM));
    inspector.open(id, opener);
  };
  new SearchPanel(byId('search-panel'), () => store.values(), focusEntity);
  const summary = new SummaryPanel(byId('summary-body'), () => store.values(), {
    inspect: focusEntity,
    zoomTo: (adcode) => {
      const b = counties.bboxOf(adcode);
      if (b) {
        map.fitBounds([
          [b[1], b[0]],
          [b[3], b[2]],
        ]);
      }
    },
  });
  wirePanels({ 'summary-body': () => summary.render() });

  map.on('click', (e: L.LeafletMouseEvent) => {
    const hit = markers.hitTest(e.containerPoint);
    if (hit?.kind === 'cluster') map.setView([hit.lat, hit.lon], Math.min(map.getZoom() + 2, DETAIL_ZOOM));
    else if (hit) inspector.open(hit.rec.id, mapEl);
  });
  map.on('mousemove', (e: L.LeafletMouseEvent) => {
    mapEl.classList.toggle('over-marker', markers.hitTest(e.containerPoint) !== null);
  });
  let viewTimer: ReturnType<typeof setTimeout> | null = null;
  map.on('moveend', () => {
    if (viewTimer) clearTimeout(viewTimer);
    viewTimer = setTimeout(() => sync.viewChanged(), VIEW_DEBOUNCE_MS);
  });

  store.onChange((id) => {
    markers.requestRedraw();
    layerPanel.changed();
    summary.changed();
    if (id) inspector.entityChanged(id);
  });

  byId('lang-switch').addEventListener('click', () => {
    setLang(lang() === 'zh' ? 'en' : 'zh');
    translateStatic(document);
    markers.requestRedraw();
  });

  setInterval(() => {
    store.refresh(new Set(['devices', 'park']), Date.now());
    if (replay.state === 'live') inspector.timeChanged();
  }, CLOCK_REFRESH_MS);

  await sync.start();
}

void main();

// The Leaflet map: no tile layer at all (the sea is the container's background, the land our own
// canvas), panes for the base map and the entities, and the view Hainan opens on. Panning reaches
// Sansha and the South China Sea, and no further.

import L from 'leaflet';
import type { Bbox } from './geo';
import { onLangChange, t } from './i18n';

export const BASEMAP_PANE = 'basemap';
export const ENTITY_PANE = 'entities';

/** Hainan island, what the dashboard opens on. */
export const ISLAND: L.LatLngBoundsExpression = [
  [18.1, 108.55],
  [20.2, 111.1],
];
/** The province's sea: from the Beibu Gulf to the Nansha (Spratly) islands. */
const PROVINCE: L.LatLngBoundsExpression = [
  [2, 104],
  [24, 122],
];

export function createMap(el: HTMLElement): L.Map {
  const map = L.map(el, {
    minZoom: 5,
    maxZoom: 17,
    maxBounds: PROVINCE,
    maxBoundsViscosity: 0.8,
    zoomSnap: 0.5,
    attributionControl: true,
  });
  map.createPane(BASEMAP_PANE).style.zIndex = '250';
  map.createPane(ENTITY_PANE).style.zIndex = '450';
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('Natural Earth · echarts (Apache-2.0)');
  map.fitBounds(ISLAND);
  // Panels opening beside the map (the inspector, the error banner) change its size without a
  // window resize, which is all Leaflet watches for; the centre (often the selected entity) stays.
  new ResizeObserver(() => map.invalidateSize({ pan: true, animate: false })).observe(el);
  const label = (): void => {
    el.setAttribute('aria-label', t('map.label'));
    for (const [selector, key] of [
      ['.leaflet-control-zoom-in', 'map.zoomIn'],
      ['.leaflet-control-zoom-out', 'map.zoomOut'],
    ] as const) {
      const button = el.querySelector(selector);
      button?.setAttribute('title', t(key));
      button?.setAttribute('aria-label', t(key));
    }
  };
  onLangChange(label);
  label();
  return map;
}

/** The visible area as [west, south, east, north]. */
export function viewBbox(map: L.Map): Bbox {
  const b = map.getBounds();
  return [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())];
}

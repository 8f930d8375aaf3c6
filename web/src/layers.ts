// The map's layers and which entity types belong to each. Types are matched by their local name
// (the part after the last '/', '#' or ':'), so a type the server returns as a full IRI still lands
// in its layer; a type no layer claims goes to "other", so new kinds of entity (alerts, work
// orders) show up before the dashboard learns about them.

import type { MessageKey } from './i18n';

export type LayerId = 'gauges' | 'air' | 'weather' | 'traffic' | 'vessels' | 'park' | 'devices' | 'other';

export interface LayerDef {
  id: LayerId;
  label: MessageKey;
  /** Local type names of this layer; `other` claims whatever no layer does. */
  matches: (localType: string) => boolean;
  /** Attributes that decide a marker's colour or position: what replay fetches from history. */
  stateAttrs: readonly string[];
}

const oneOf =
  (...names: string[]) =>
  (t: string): boolean =>
    names.includes(t);

/** In drawing order: later layers are drawn over earlier ones. */
export const LAYERS: readonly LayerDef[] = [
  {
    id: 'park',
    label: 'layer.park',
    // Park, NationalPark, RangerTracker...; not OffStreetParking.
    matches: (t) => /^(\w*Park|Ranger\w*|\w*Tracker)$/.test(t),
    stateAttrs: ['location'],
  },
  { id: 'devices', label: 'layer.devices', matches: oneOf('Device'), stateAttrs: ['deviceState', 'batteryLevel'] },
  { id: 'other', label: 'layer.other', matches: () => false, stateAttrs: [] },
  {
    id: 'traffic',
    label: 'layer.traffic',
    matches: oneOf('TrafficFlowObserved'),
    stateAttrs: ['congested', 'intensity', 'averageVehicleSpeed'],
  },
  { id: 'air', label: 'layer.air', matches: oneOf('AirQualityObserved'), stateAttrs: ['aqi'] },
  {
    id: 'weather',
    label: 'layer.weather',
    matches: oneOf('WeatherObserved', 'SeaConditions'),
    stateAttrs: ['windSpeed', 'precipitation', 'waveHeight'],
  },
  {
    id: 'gauges',
    label: 'layer.gauges',
    matches: oneOf('WaterObserved', 'FloodMonitoring'),
    stateAttrs: ['waterLevel', 'currentLevel', 'flow'],
  },
  {
    id: 'vessels',
    label: 'layer.vessels',
    matches: oneOf('Vessel'),
    stateAttrs: ['location', 'courseOverGround', 'speedOverGround'],
  },
];

/** The order the layer panel lists them in: what duty officers look at first. */
export const PANEL_ORDER: readonly LayerId[] = ['gauges', 'weather', 'air', 'traffic', 'vessels', 'park', 'devices', 'other'];

const BY_ID = new Map(LAYERS.map((l) => [l.id, l]));

export function layerDef(id: LayerId): LayerDef {
  const def = BY_ID.get(id);
  if (!def) throw new Error(`unknown layer ${id}`);
  return def;
}

/** The local name of a type: `https://smartdatamodels.org/dataModel.Environment/WaterObserved` → `WaterObserved`. */
export function localType(type: string): string {
  return type.slice(Math.max(type.lastIndexOf('/'), type.lastIndexOf('#'), type.lastIndexOf(':')) + 1);
}

/** Administrative areas are the counties themselves: the base map draws them, they are no layer. */
export function isAreaType(type: string): boolean {
  return /^(AdministrativeArea|County|City|District)$/.test(localType(type));
}

/** The layer of an entity type (null for administrative areas). */
export function layerOf(type: string): LayerId | null {
  if (isAreaType(type)) return null;
  const local = localType(type);
  return LAYERS.find((l) => l.matches(local))?.id ?? 'other';
}

/** The types (as the server names them) that belong to the given layers. */
export function typesOfLayers(allTypes: readonly string[], layers: ReadonlySet<LayerId>): string[] {
  return allTypes.filter((t) => {
    const l = layerOf(t);
    return l !== null && layers.has(l);
  });
}

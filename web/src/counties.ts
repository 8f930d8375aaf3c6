// The cities and counties of Hainan province: their names in both languages, and which one a
// point falls in. The outlines come from the base-map file (echarts' Hainan map, which runs a few
// km out to sea): good enough to tell counties apart, and it keeps coastal stations inside one.

import type { Lang } from './i18n';
import { type Polygon, bboxOfPolygons, inBbox, pointInPolygon } from './geo';

export interface County {
  /** Six-digit administrative division code (GB/T 2260). */
  adcode: string;
  zh: string;
  en: string;
  /** Names short enough for a map label. */
  zhShort: string;
  enShort: string;
}

/** The 19 cities and counties of the base map, keyed by adcode. */
export const COUNTIES: readonly County[] = [
  { adcode: '460100', zh: '海口市', en: 'Haikou', zhShort: '海口', enShort: 'Haikou' },
  { adcode: '460200', zh: '三亚市', en: 'Sanya', zhShort: '三亚', enShort: 'Sanya' },
  { adcode: '460300', zh: '三沙市', en: 'Sansha', zhShort: '三沙', enShort: 'Sansha' },
  { adcode: '460400', zh: '儋州市', en: 'Danzhou', zhShort: '儋州', enShort: 'Danzhou' },
  { adcode: '469001', zh: '五指山市', en: 'Wuzhishan', zhShort: '五指山', enShort: 'Wuzhishan' },
  { adcode: '469002', zh: '琼海市', en: 'Qionghai', zhShort: '琼海', enShort: 'Qionghai' },
  { adcode: '469005', zh: '文昌市', en: 'Wenchang', zhShort: '文昌', enShort: 'Wenchang' },
  { adcode: '469006', zh: '万宁市', en: 'Wanning', zhShort: '万宁', enShort: 'Wanning' },
  { adcode: '469007', zh: '东方市', en: 'Dongfang', zhShort: '东方', enShort: 'Dongfang' },
  { adcode: '469021', zh: '定安县', en: "Ding'an", zhShort: '定安', enShort: "Ding'an" },
  { adcode: '469022', zh: '屯昌县', en: 'Tunchang', zhShort: '屯昌', enShort: 'Tunchang' },
  { adcode: '469023', zh: '澄迈县', en: 'Chengmai', zhShort: '澄迈', enShort: 'Chengmai' },
  { adcode: '469024', zh: '临高县', en: 'Lingao', zhShort: '临高', enShort: 'Lingao' },
  { adcode: '469025', zh: '白沙黎族自治县', en: 'Baisha Li Autonomous County', zhShort: '白沙', enShort: 'Baisha' },
  { adcode: '469026', zh: '昌江黎族自治县', en: 'Changjiang Li Autonomous County', zhShort: '昌江', enShort: 'Changjiang' },
  { adcode: '469027', zh: '乐东黎族自治县', en: 'Ledong Li Autonomous County', zhShort: '乐东', enShort: 'Ledong' },
  { adcode: '469028', zh: '陵水黎族自治县', en: 'Lingshui Li Autonomous County', zhShort: '陵水', enShort: 'Lingshui' },
  { adcode: '469029', zh: '保亭黎族苗族自治县', en: 'Baoting Li and Miao Autonomous County', zhShort: '保亭', enShort: 'Baoting' },
  { adcode: '469030', zh: '琼中黎族苗族自治县', en: 'Qiongzhong Li and Miao Autonomous County', zhShort: '琼中', enShort: 'Qiongzhong' },
];

const BY_ADCODE = new Map(COUNTIES.map((c) => [c.adcode, c]));

/** The county with this adcode (6 or 12 digits, as the CPCA tables write it), if it is one. */
export function countyByAdcode(adcode: string): County | undefined {
  return BY_ADCODE.get(adcode.slice(0, 6));
}

/** A county's name in `lang`, in full or short (for map labels). */
export function countyName(c: County, lang: Lang, short = false): string {
  if (short) return lang === 'zh' ? c.zhShort : c.enShort;
  return lang === 'zh' ? c.zh : c.en;
}

interface Area {
  adcode: string;
  polygons: Polygon[];
  bbox: [number, number, number, number];
}

/** Point-in-county lookup over the base map's outlines. */
/** Points remembered by the county lookup: stations do not move, so most lookups repeat. */
const CACHE_LIMIT = 200_000;

export class CountyIndex {
  private readonly areas: Area[];
  private readonly cache = new Map<string, string | null>();

  constructor(areas: { adcode: string; polygons: Polygon[] }[]) {
    this.areas = areas.map((a) => ({ ...a, bbox: bboxOfPolygons(a.polygons) }));
  }

  /** The adcode of the county containing (lon, lat), or null at sea or off the map. */
  countyAt(lon: number, lat: number): string | null {
    const key = `${lon},${lat}`;
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    const found = this.areas.find((a) => inBbox(a.bbox, lon, lat) && a.polygons.some((p) => pointInPolygon(p, lon, lat)));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, found?.adcode ?? null);
    return found?.adcode ?? null;
  }

  /** The bounding box of a county, for "show on the map". */
  bboxOf(adcode: string): [number, number, number, number] | undefined {
    return this.areas.find((a) => a.adcode === adcode)?.bbox;
  }
}

// Every user-visible string of the dashboard, in Chinese and English.
// `zh` is typed against `en`'s keys, so a label missing in either language fails the type check;
// the unit tests also check placeholders match and nothing is left untranslated.

const en = {
  'app.title': 'Hainan Digital Twin · Operations Centre',
  'app.skipToMap': 'Skip to the map',
  'lang.switch': '中文',
  'lang.switchLabel': 'Switch the interface to Chinese',
  'conn.label': 'Live connection',
  'conn.connecting': 'Connecting',
  'conn.live': 'Live',
  'conn.reconnecting': 'Reconnecting',
  'conn.offline': 'Offline',
  'panel.layers': 'Layers',
  'panel.search': 'Search',
  'panel.summary': 'County summary',
  'panel.sidebar': 'Layers, search and county summary',
  'map.label': 'Map of Hainan; use the arrow keys to pan and + or − to zoom',
  'map.legendCluster': 'A circle with a number stands for that many entities; its colour is the worst state among them.',
  'map.entitiesDrawn': '{n} entities on the map',
  'map.zoomIn': 'Zoom in',
  'map.zoomOut': 'Zoom out',
  'layer.gauges': 'River gauges',
  'layer.air': 'Air quality',
  'layer.weather': 'Weather and sea',
  'layer.traffic': 'Traffic',
  'layer.vessels': 'Vessels',
  'layer.park': 'National park',
  'layer.devices': 'Devices',
  'layer.other': 'Other',
  'layer.toggle': 'Show {layer} ({n})',
  'search.label': 'Search by id, name or type',
  'search.placeholder': 'e.g. Nandu, Vessel, urn:ngsi-ld:…',
  'search.none': 'No matching entity.',
  'search.results': 'Results: {n}',
  'state.normal': 'Normal',
  'state.unknown': 'Unknown',
  'state.alert': 'Above alert level',
  'state.danger': 'Above danger level',
  'state.silent': 'Silent',
  'state.lowBattery': 'Low battery',
  'state.fault': 'Fault',
  'state.congested': 'Congested',
  'state.freeFlow': 'Free flow',
  'state.underway': 'Under way',
  'state.stationary': 'Stationary',
  'state.strongWind': 'Strong wind',
  'state.gale': 'Gale',
  'state.storm': 'Storm',
  'state.typhoon': 'Typhoon-force wind',
  'state.heavyRain': 'Heavy rain',
  'state.torrentialRain': 'Torrential rain',
  'state.moderateSea': 'Moderate sea',
  'state.roughSea': 'Rough sea',
  'state.highSea': 'High sea',
  'state.informational': 'Informational',
  'state.low': 'Low',
  'state.medium': 'Medium',
  'state.high': 'High',
  'state.critical': 'Critical',
  'aqi.excellent': 'Excellent',
  'aqi.good': 'Good',
  'aqi.light': 'Lightly polluted',
  'aqi.moderate': 'Moderately polluted',
  'aqi.heavy': 'Heavily polluted',
  'aqi.severe': 'Severely polluted',
  'inspector.close': 'Close the details',
  'inspector.loading': 'Loading…',
  'inspector.state': 'State',
  'inspector.type': 'Type',
  'inspector.id': 'Id',
  'inspector.attributes': 'Attributes',
  'inspector.history': 'History over the replay window',
  'inspector.noHistory': 'No history in this period.',
  'inspector.observedAt': 'observed {time}',
  'inspector.showOnMap': 'Show on the map',
  'inspector.notFound': 'This entity no longer exists.',
  'inspector.failed': 'Could not load this entity; see the message above.',
  'chart.summary': '{attr} from {from} to {to}: min {min}, max {max}, latest {last}',
  'time.label': 'Time',
  'time.live': 'Live',
  'time.replay': 'Replay',
  'time.play': 'Play',
  'time.pause': 'Pause',
  'time.backToLive': 'Back to live',
  'time.window': 'Replay window',
  'time.speed': 'Speed',
  'time.hours': 'last {n} h',
  'time.buffering': 'Loading history…',
  'summary.atSea': 'At sea and elsewhere',
  'summary.note': 'Live inside the map view; elsewhere refreshed every 5 minutes.',
  'summary.empty': 'No entities yet.',
  'summary.zoomTo': 'Show {county} on the map',
  'summary.worst': 'worst: {value}',
  'summary.entities': '{n} entities',
  'banner.label': 'Problems',
  'banner.dismiss': 'Dismiss',
  'banner.unreachable': 'Cannot reach the twinisle server ({what}). Retrying…',
  'banner.failed': 'Request failed: {what} ({status})',
  'banner.streamDown': 'Live updates are interrupted; reconnecting…',
  'what.types': 'entity types',
  'what.entities': 'entities',
  'what.entity': 'entity {id}',
  'what.history': 'history of {id}',
  'what.replay': 'replay history',
  'what.basemap': 'base map',
  'value.true': 'yes',
  'value.false': 'no',
  'attr.name': 'Name',
  'attr.alternateName': 'Alternate name',
  'attr.description': 'Description',
  'attr.location': 'Location',
  'attr.adcode': 'Administrative code',
  'attr.dateObserved': 'Observed',
  'attr.waterLevel': 'Water level',
  'attr.currentLevel': 'Water level',
  'attr.flow': 'Flow',
  'attr.alertLevel': 'Alert level',
  'attr.dangerLevel': 'Danger level',
  'attr.pm25': 'PM2.5',
  'attr.pm10': 'PM10',
  'attr.no2': 'NO₂',
  'attr.o3': 'O₃',
  'attr.so2': 'SO₂',
  'attr.co': 'CO',
  'attr.aqi': 'Air quality index',
  'attr.temperature': 'Temperature',
  'attr.windSpeed': 'Wind speed',
  'attr.windDirection': 'Wind direction',
  'attr.precipitation': 'Precipitation',
  'attr.atmosphericPressure': 'Atmospheric pressure',
  'attr.relativeHumidity': 'Relative humidity',
  'attr.waveHeight': 'Wave height',
  'attr.wavePeriod': 'Wave period',
  'attr.waveDirection': 'Wave direction',
  'attr.seaSurfaceTemperature': 'Sea surface temperature',
  'attr.intensity': 'Vehicles',
  'attr.occupancy': 'Occupancy',
  'attr.averageVehicleSpeed': 'Average vehicle speed',
  'attr.congested': 'Congested',
  'attr.laneId': 'Lane',
  'attr.mmsi': 'MMSI',
  'attr.speedOverGround': 'Speed over ground',
  'attr.courseOverGround': 'Course over ground',
  'attr.navigationStatus': 'Navigation status',
  'attr.vesselType': 'Vessel type',
  'attr.deviceState': 'Device state',
  'attr.dateLastValueReported': 'Last value reported',
  'attr.batteryLevel': 'Battery level',
  'attr.rssi': 'Signal strength',
  'attr.category': 'Category',
  'attr.controlledProperty': 'Measures',
  'attr.serialNumber': 'Serial number',
  'attr.refDevice': 'Device',
  'attr.refPointOfInterest': 'Point of interest',
  'attr.refRoadSegment': 'Road segment',
  'attr.severity': 'Severity',
  'attr.status': 'Status',
} satisfies Record<string, string>;

/** A key of the message catalogue. */
export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  'app.title': '海南数字孪生 · 综合运营管理中心',
  'app.skipToMap': '跳到地图',
  'lang.switch': 'English',
  'lang.switchLabel': '将界面切换为英文',
  'conn.label': '实时连接',
  'conn.connecting': '正在连接',
  'conn.live': '实时',
  'conn.reconnecting': '正在重连',
  'conn.offline': '离线',
  'panel.layers': '图层',
  'panel.search': '搜索',
  'panel.summary': '区县概况',
  'panel.sidebar': '图层、搜索与区县概况',
  'map.label': '海南地图;方向键平移,加号或减号缩放',
  'map.legendCluster': '带数字的圆圈代表该处的实体数量,颜色为其中最不利的状态。',
  'map.entitiesDrawn': '地图上共 {n} 个实体',
  'map.zoomIn': '放大',
  'map.zoomOut': '缩小',
  'layer.gauges': '水文站',
  'layer.air': '空气质量',
  'layer.weather': '气象与海况',
  'layer.traffic': '交通',
  'layer.vessels': '船舶',
  'layer.park': '国家公园',
  'layer.devices': '物联设备',
  'layer.other': '其他',
  'layer.toggle': '显示{layer}({n})',
  'search.label': '按编号、名称或类型搜索',
  'search.placeholder': '例如 南渡江、Vessel、urn:ngsi-ld:…',
  'search.none': '没有匹配的实体。',
  'search.results': '结果:{n} 个',
  'state.normal': '正常',
  'state.unknown': '未知',
  'state.alert': '超警戒水位',
  'state.danger': '超危险水位',
  'state.silent': '失联',
  'state.lowBattery': '电量低',
  'state.fault': '故障',
  'state.congested': '拥堵',
  'state.freeFlow': '畅通',
  'state.underway': '航行中',
  'state.stationary': '停泊',
  'state.strongWind': '强风',
  'state.gale': '大风',
  'state.storm': '暴风',
  'state.typhoon': '台风级大风',
  'state.heavyRain': '强降水',
  'state.torrentialRain': '特强降水',
  'state.moderateSea': '中浪',
  'state.roughSea': '大浪',
  'state.highSea': '巨浪',
  'state.informational': '提示',
  'state.low': '低',
  'state.medium': '中',
  'state.high': '高',
  'state.critical': '严重',
  'aqi.excellent': '优',
  'aqi.good': '良',
  'aqi.light': '轻度污染',
  'aqi.moderate': '中度污染',
  'aqi.heavy': '重度污染',
  'aqi.severe': '严重污染',
  'inspector.close': '关闭详情',
  'inspector.loading': '正在加载…',
  'inspector.state': '状态',
  'inspector.type': '类型',
  'inspector.id': '编号',
  'inspector.attributes': '属性',
  'inspector.history': '回放时段内的历史',
  'inspector.noHistory': '此时段没有历史数据。',
  'inspector.observedAt': '观测于 {time}',
  'inspector.showOnMap': '在地图上显示',
  'inspector.notFound': '该实体已不存在。',
  'inspector.failed': '无法加载该实体,详见上方提示。',
  'chart.summary': '{attr},{from} 至 {to}:最小 {min},最大 {max},最新 {last}',
  'time.label': '时间',
  'time.live': '实时',
  'time.replay': '回放',
  'time.play': '播放',
  'time.pause': '暂停',
  'time.backToLive': '返回实时',
  'time.window': '回放时长',
  'time.speed': '速度',
  'time.hours': '最近 {n} 小时',
  'time.buffering': '正在加载历史…',
  'summary.atSea': '海上及其他',
  'summary.note': '地图范围内实时更新;其他区域每 5 分钟刷新。',
  'summary.empty': '暂无实体。',
  'summary.zoomTo': '在地图上显示{county}',
  'summary.worst': '最不利:{value}',
  'summary.entities': '{n} 个实体',
  'banner.label': '问题',
  'banner.dismiss': '关闭',
  'banner.unreachable': '无法连接 twinisle 服务器({what}),正在重试…',
  'banner.failed': '请求失败:{what}({status})',
  'banner.streamDown': '实时更新中断,正在重新连接…',
  'what.types': '实体类型',
  'what.entities': '实体',
  'what.entity': '实体 {id}',
  'what.history': '{id} 的历史',
  'what.replay': '回放历史',
  'what.basemap': '底图',
  'value.true': '是',
  'value.false': '否',
  'attr.name': '名称',
  'attr.alternateName': '别名',
  'attr.description': '描述',
  'attr.location': '位置',
  'attr.adcode': '行政区划代码',
  'attr.dateObserved': '观测时间',
  'attr.waterLevel': '水位',
  'attr.currentLevel': '水位',
  'attr.flow': '流量',
  'attr.alertLevel': '警戒水位',
  'attr.dangerLevel': '危险水位',
  'attr.pm25': 'PM2.5(细颗粒物)',
  'attr.pm10': 'PM10(可吸入颗粒物)',
  'attr.no2': '二氧化氮',
  'attr.o3': '臭氧',
  'attr.so2': '二氧化硫',
  'attr.co': '一氧化碳',
  'attr.aqi': '空气质量指数',
  'attr.temperature': '气温',
  'attr.windSpeed': '风速',
  'attr.windDirection': '风向',
  'attr.precipitation': '降水量',
  'attr.atmosphericPressure': '气压',
  'attr.relativeHumidity': '相对湿度',
  'attr.waveHeight': '浪高',
  'attr.wavePeriod': '波浪周期',
  'attr.waveDirection': '浪向',
  'attr.seaSurfaceTemperature': '海表温度',
  'attr.intensity': '车流量',
  'attr.occupancy': '占有率',
  'attr.averageVehicleSpeed': '平均车速',
  'attr.congested': '拥堵',
  'attr.laneId': '车道',
  'attr.mmsi': '海上移动业务识别码(MMSI)',
  'attr.speedOverGround': '对地航速',
  'attr.courseOverGround': '对地航向',
  'attr.navigationStatus': '航行状态',
  'attr.vesselType': '船舶类型',
  'attr.deviceState': '设备状态',
  'attr.dateLastValueReported': '最近上报时间',
  'attr.batteryLevel': '电量',
  'attr.rssi': '信号强度',
  'attr.category': '类别',
  'attr.controlledProperty': '监测量',
  'attr.serialNumber': '序列号',
  'attr.refDevice': '设备',
  'attr.refPointOfInterest': '关注点',
  'attr.refRoadSegment': '路段',
  'attr.severity': '严重程度',
  'attr.status': '状态',
};

/** The interface languages. */
export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];
export const MESSAGES: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { en, zh };

const STORAGE_KEY = 'twinisle.lang';
let current: Lang = 'zh';
const listeners = new Set<(lang: Lang) => void>();

/** The language in use. */
export function lang(): Lang {
  return current;
}

/** Translates `key`, replacing `{name}` placeholders with `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return MESSAGES[current][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Whether `key` is a message key (for labels built from data, such as attribute names). */
export function isKey(key: string): key is MessageKey {
  return key in en;
}

/** The label of an attribute: translated when we know it, its own name otherwise. */
export function attrLabel(attr: string): string {
  const key = `attr.${attr}`;
  return isKey(key) ? t(key) : attr;
}

/** Switches the language, remembers it, and tells every listener to re-render. */
export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Private browsing may refuse storage; the choice then lasts for this page only.
  }
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  for (const fn of listeners) fn(next);
}

/** The language remembered from last time, else Chinese, the operations centre's language. */
export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    // See setLang.
  }
  return 'zh';
}

/** Calls `fn` after every language switch; returns a function that stops it. */
export function onLangChange(fn: (lang: Lang) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Fills elements marked `data-i18n="key"` (text) and `data-i18n-<attr>="key"` (attributes). */
export function translateStatic(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = el.dataset.i18n;
    if (key && isKey(key)) el.textContent = t(key);
  }
  for (const attr of ['aria-label', 'placeholder', 'title']) {
    for (const el of root.querySelectorAll<HTMLElement>(`[data-i18n-${attr}]`)) {
      const key = el.getAttribute(`data-i18n-${attr}`);
      if (key && isKey(key)) el.setAttribute(attr, t(key));
    }
  }
}

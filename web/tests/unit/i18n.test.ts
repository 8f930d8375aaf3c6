import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COUNTIES } from '../../src/counties';
import { LANGS, MESSAGES, attrLabel, lang, setLang, t } from '../../src/i18n';
import { LAYERS } from '../../src/layers';

const HAN = /\p{Script=Han}/u;
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
/** Strings that read the same in both languages (names, chemistry, units). */
const SAME_IN_BOTH = new Set(['attr.pm25', 'attr.pm10', 'attr.co', 'attr.mmsi']);

describe('message catalogue', () => {
  const en = MESSAGES.en;
  const zh = MESSAGES.zh;

  it('has the same keys in both languages', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it('has no empty message', () => {
    for (const l of LANGS) for (const [k, v] of Object.entries(MESSAGES[l])) expect(v.trim(), `${l} ${k}`).not.toBe('');
  });

  it('uses the same placeholders in both languages', () => {
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(placeholders(zh[k]), k).toEqual(placeholders(en[k]));
  });

  it('is really translated: Chinese has Han characters, English has none', () => {
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      if (k === 'lang.switch') continue; // each language's button names the other language
      if (!SAME_IN_BOTH.has(k)) expect(HAN.test(zh[k]), `zh ${k}: ${zh[k]}`).toBe(true);
      expect(HAN.test(en[k]), `en ${k}: ${en[k]}`).toBe(false);
    }
  });

  it('labels every layer in both languages', () => {
    for (const l of LAYERS) {
      expect(en[l.label]).toBeTruthy();
      expect(zh[l.label]).toBeTruthy();
    }
  });

  it('has no key the app never uses', () => {
    const src = join(__dirname, '../../src');
    const code = readdirSync(src)
      .filter((f) => f.endsWith('.ts') && f !== 'i18n.ts')
      .map((f) => readFileSync(join(src, f), 'utf8'))
      .concat(readFileSync(join(__dirname, '../../index.html'), 'utf8'))
      .join('\n');
    // Keys built at run time: `layer.${id}`, `attr.${name}`, and state labels held in data.
    const dynamic = /^(layer\.(gauges|air|weather|traffic|vessels|park|devices|other)|attr\.\w+)$/;
    const unused = Object.keys(en).filter((k) => !dynamic.test(k) && !code.includes(`'${k}'`) && !code.includes(`"${k}"`));
    expect(unused).toEqual([]);
  });
});

describe('county names', () => {
  it('covers the 19 cities and counties with both names', () => {
    expect(COUNTIES).toHaveLength(19);
    for (const c of COUNTIES) {
      expect(c.adcode).toMatch(/^46\d{4}$/);
      expect(HAN.test(c.zh) && HAN.test(c.zhShort), c.adcode).toBe(true);
      expect(HAN.test(c.en) || HAN.test(c.enShort) || !c.en, c.adcode).toBe(false);
      expect(c.zh.startsWith(c.zhShort) && c.en.startsWith(c.enShort), c.adcode).toBe(true);
    }
  });

  it('matches the base map file', () => {
    const geo = JSON.parse(readFileSync(join(__dirname, '../../public/data/hainan-counties.geojson'), 'utf8'));
    const fromMap = geo.features.map((f: { id: string; properties: { name: string } }) => `${f.id} ${f.properties.name}`).sort();
    expect(COUNTIES.map((c) => `${c.adcode} ${c.zh}`).sort()).toEqual(fromMap);
  });
});

describe('switching language', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('translates with parameters and falls back to raw attribute names', () => {
    vi.stubGlobal('document', { documentElement: { lang: '' } });
    setLang('en');
    expect(lang()).toBe('en');
    expect(t('search.results', { n: 3 })).toBe('Results: 3');
    expect(attrLabel('waterLevel')).toBe('Water level');
    expect(attrLabel('someVendorField')).toBe('someVendorField');
    setLang('zh');
    expect(t('search.results', { n: 3 })).toBe('结果:3 个');
    expect(attrLabel('waterLevel')).toBe('水位');
    expect((document.documentElement as { lang: string }).lang).toBe('zh-CN');
  });
});

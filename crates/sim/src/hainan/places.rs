//! Hand-placed geography of the scenario: rivers, roads, the national park, ports, sea lanes,
//! the fishing ground and the station sites, all from real places on and around Hainan.
//!
//! Owns coordinates only. Each table was drawn over the embedded coastline and is checked by
//! the tests beside it (rivers and roads on land, lanes and buoys at sea, stations inside their
//! county), so a careless edit here fails loudly instead of putting a ship on a hill.

use super::geom::{LonLat, ll};

/// A river with gauges: its course from source to mouth and the figures flows scale with.
#[derive(Clone, Copy, Debug)]
pub struct River {
    /// Token used in ids, e.g. `nandu`.
    pub slug: &'static str,
    /// Chinese name.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// The course, source first (simplified; it stops short of the mouth's tidal reach).
    pub course: &'static [LonLat],
    /// Drainage basin area, km².
    pub basin_km2: f64,
    /// Mean annual discharge at the mouth, m³/s.
    pub mean_flow: f64,
}

/// Hainan's three largest rivers, the ones the brief asks gauges on.
pub const RIVERS: [River; 3] = [
    River {
        slug: "nandu",
        name_zh: "南渡江",
        name_en: "Nandu River",
        // From the Nanfeng hills of Baisha, past Songtao reservoir, Chengmai and Ding'an, to
        // the Haikou estuary.
        course: &[
            ll(109.40, 19.08),
            ll(109.50, 19.30),
            ll(109.62, 19.42),
            ll(109.80, 19.50),
            ll(110.00, 19.55),
            ll(110.20, 19.60),
            ll(110.33, 19.68),
            ll(110.36, 19.80),
            ll(110.40, 19.90),
        ],
        basin_km2: 7033.0,
        mean_flow: 215.0,
    },
    River {
        slug: "changhua",
        name_zh: "昌化江",
        name_en: "Changhua River",
        // From Qiongzhong south-west past Wuzhishan and Ledong, then north-west through
        // Dongfang to the sea at Changhua on the Changjiang border.
        course: &[
            ll(109.75, 19.02),
            ll(109.55, 18.88),
            ll(109.35, 18.82),
            ll(109.15, 18.86),
            ll(108.98, 19.05),
            ll(108.85, 19.22),
            ll(108.70, 19.31),
        ],
        basin_km2: 5150.0,
        mean_flow: 124.0,
    },
    River {
        slug: "wanquan",
        name_zh: "万泉河",
        name_en: "Wanquan River",
        // From the Wuzhi mountains in Qiongzhong north-east to Jiaji and out at Boao.
        course: &[
            ll(109.75, 18.92),
            ll(109.92, 19.00),
            ll(110.10, 19.06),
            ll(110.25, 19.15),
            ll(110.40, 19.22),
            ll(110.47, 19.24),
            ll(110.54, 19.17),
        ],
        basin_km2: 3693.0,
        mean_flow: 168.0,
    },
];

/// The G98 Hainan Ring Expressway, counter-clockwise from Haikou: east line through Qionghai,
/// Wanning, Lingshui to Sanya; west line through Yazhou, Ledong, Dongfang, Changjiang,
/// Danzhou, Lingao and Chengmai back to Haikou. Closed (first point repeated).
pub const G98: &[LonLat] = &[
    ll(110.25, 19.97),
    ll(110.40, 19.90),
    ll(110.50, 19.88),
    ll(110.55, 19.75),
    ll(110.52, 19.50),
    ll(110.45, 19.26),
    ll(110.45, 19.05),
    ll(110.37, 18.82),
    ll(110.20, 18.74),
    ll(110.02, 18.52),
    ll(109.80, 18.47),
    ll(109.60, 18.36),
    ll(109.45, 18.33),
    ll(109.20, 18.40),
    ll(108.95, 18.48),
    ll(108.85, 18.60),
    ll(108.76, 18.85),
    ll(108.75, 19.10),
    ll(108.95, 19.25),
    ll(109.20, 19.40),
    ll(109.50, 19.56),
    ll(109.72, 19.82),
    ll(110.00, 19.86),
    ll(110.25, 19.97),
];

/// A named urban road in Haikou with traffic counters.
#[derive(Clone, Copy, Debug)]
pub struct Road {
    /// Token used in ids.
    pub slug: &'static str,
    /// Chinese name.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// The road's course.
    pub course: &'static [LonLat],
}

/// Main roads of central Haikou (approximate courses).
pub const HAIKOU_ROADS: [Road; 4] = [
    Road {
        slug: "binhai",
        name_zh: "滨海大道",
        name_en: "Binhai Avenue",
        course: &[ll(110.20, 20.02), ll(110.28, 20.022), ll(110.33, 20.03)],
    },
    Road {
        slug: "haixiu",
        name_zh: "海秀路",
        name_en: "Haixiu Road",
        course: &[ll(110.20, 20.00), ll(110.30, 20.02), ll(110.36, 20.01)],
    },
    Road {
        slug: "longkun",
        name_zh: "龙昆路",
        name_en: "Longkun Road",
        course: &[ll(110.33, 20.04), ll(110.32, 19.99), ll(110.31, 19.93)],
    },
    Road {
        slug: "guoxing",
        name_zh: "国兴大道",
        name_en: "Guoxing Avenue",
        course: &[ll(110.30, 20.015), ll(110.34, 20.01), ll(110.36, 20.00)],
    },
];

/// The core protection zone of the Hainan Tropical Rainforest National Park, approximated
/// around the central-southern massifs: Jianfengling (south-west), Bawangling (north-west),
/// Yinggeling (north), Limushan (north-east), Wuzhishan (centre) and Diaoluoshan (east).
/// Closed, clockwise from the Jianfengling foothills.
pub const PARK_CORE: &[LonLat] = &[
    ll(108.85, 18.62),
    ll(108.80, 18.75),
    ll(108.95, 18.95),
    ll(109.05, 19.15),
    ll(109.20, 19.20),
    ll(109.40, 19.12),
    ll(109.55, 19.15),
    ll(109.70, 19.25),
    ll(109.85, 19.18),
    ll(109.80, 19.00),
    ll(109.75, 18.88),
    ll(109.95, 18.75),
    ll(109.92, 18.60),
    ll(109.75, 18.62),
    ll(109.55, 18.75),
    ll(109.30, 18.72),
    ll(109.05, 18.62),
    ll(108.85, 18.62),
];

/// Ranger stations the park's patrols start from (inside the core zone).
pub const RANGER_STATIONS: [(&str, LonLat); 6] = [
    ("jianfengling", ll(108.95, 18.72)),
    ("bawangling", ll(109.15, 19.08)),
    ("yinggeling", ll(109.45, 19.05)),
    ("limushan", ll(109.72, 19.15)),
    ("wuzhishan", ll(109.65, 18.85)),
    ("diaoluoshan", ll(109.85, 18.70)),
];

/// A berth a little off the coast (on water in the embedded coastline).
#[derive(Clone, Copy, Debug)]
pub struct Port {
    /// Token used in ids.
    pub slug: &'static str,
    /// English name.
    pub name: &'static str,
    /// Where ships lie when moored.
    pub berth: LonLat,
}

/// Haikou Xiuying port (ferries to Xuwen).
pub const XIUYING: Port = port("xiuying", "Haikou Xiuying Port", ll(110.285, 20.047));
/// Haikou Xinhai port (ro-ro ferries to Xuwen).
pub const XINHAI: Port = port("xinhai", "Haikou Xinhai Port", ll(110.148, 20.080));
/// The Xuwen (Hai'an) ferry terminal on the Leizhou peninsula, on the mainland side.
pub const XUWEN: Port = port("xuwen", "Xuwen Hai'an Ferry Terminal", ll(110.200, 20.228));
/// Yangpu port, Danzhou: the free-trade port's deep-water cargo and oil terminal.
pub const YANGPU: Port = port("yangpu", "Yangpu Port", ll(109.125, 19.735));
/// Sanya: the cruise terminal and fishing-boat shelter in Sanya Bay.
pub const SANYA: Port = port("sanya", "Sanya Port", ll(109.45, 18.232));

const fn port(slug: &'static str, name: &'static str, berth: LonLat) -> Port {
    Port { slug, name, berth }
}

/// Every port, for the guide and for tests.
pub const PORTS: [Port; 5] = [XIUYING, XINHAI, XUWEN, YANGPU, SANYA];

/// A sea lane, from its outer end to a port berth.
#[derive(Clone, Copy, Debug)]
pub struct Lane {
    /// Token used in ids.
    pub slug: &'static str,
    /// The waypoints, outer end first, berth last.
    pub waypoints: &'static [LonLat],
}

/// Ferries: Xiuying to Xuwen across the Qiongzhou Strait.
pub const FERRY_XIUYING: Lane = Lane {
    slug: "xiuying-xuwen",
    waypoints: &[
        XUWEN.berth,
        ll(110.22, 20.18),
        ll(110.27, 20.10),
        XIUYING.berth,
    ],
};
/// Ferries: Xinhai to Xuwen.
pub const FERRY_XINHAI: Lane = Lane {
    slug: "xinhai-xuwen",
    waypoints: &[
        XUWEN.berth,
        ll(110.19, 20.20),
        ll(110.16, 20.14),
        XINHAI.berth,
    ],
};
/// Cargo from the east through the Qiongzhou Strait round the north-west cape to Yangpu.
pub const CARGO_STRAIT: Lane = Lane {
    slug: "strait-yangpu",
    waypoints: &[
        ll(110.95, 20.22),
        ll(110.70, 20.18),
        ll(110.40, 20.14),
        ll(110.10, 20.13),
        ll(109.80, 20.10),
        ll(109.50, 20.03),
        ll(109.28, 19.99),
        ll(109.10, 19.87),
        ll(109.08, 19.78),
        YANGPU.berth,
    ],
};
/// Cargo and tankers up the west coast from the South China Sea to Yangpu.
pub const CARGO_WEST: Lane = Lane {
    slug: "west-yangpu",
    waypoints: &[
        ll(108.30, 18.20),
        ll(108.40, 18.80),
        ll(108.50, 19.30),
        ll(108.70, 19.55),
        ll(108.95, 19.68),
        YANGPU.berth,
    ],
};
/// Cruise ships and coasters into Sanya from the south.
pub const SANYA_APPROACH: Lane = Lane {
    slug: "south-sanya",
    waypoints: &[ll(109.30, 17.60), ll(109.42, 18.05), SANYA.berth],
};

/// The fishing ground off the south coast: `(west, south, east, north)` degrees, at least
/// 9 km from the coast everywhere, so a boat anywhere inside is at sea.
pub const FISHING_GROUND: (f64, f64, f64, f64) = (108.95, 17.70, 110.30, 18.08);
/// Where boats leave the fishing ground for the Sanya shelter (inside the ground).
pub const SHELTER_APPROACH: LonLat = ll(109.45, 18.075);

/// The southern tip of the Leizhou peninsula (mainland Guangdong) across the strait, coarse:
/// the embedded coastline covers only the island, and ships must not sail onto Xuwen either.
pub const MAINLAND: &[LonLat] = &[
    ll(109.90, 20.23),
    ll(110.00, 20.235),
    ll(110.20, 20.245),
    ll(110.35, 20.25),
    ll(110.50, 20.26),
    ll(110.60, 20.30),
    ll(110.65, 21.00),
    ll(109.60, 21.00),
    ll(109.65, 20.45),
    ll(109.80, 20.30),
];

/// Air-quality monitoring sites: city slug and position.
pub const AIR_SITES: [(&str, LonLat); 15] = [
    ("haikou", ll(110.29, 20.01)),
    ("haikou", ll(110.33, 20.03)),
    ("haikou", ll(110.35, 19.99)),
    ("sanya", ll(109.51, 18.26)),
    ("sanya", ll(109.57, 18.29)),
    ("danzhou", ll(109.58, 19.52)),
    ("qionghai", ll(110.47, 19.25)),
    ("wenchang", ll(110.75, 19.61)),
    ("wanning", ll(110.39, 18.80)),
    ("dongfang", ll(108.68, 19.10)),
    ("wuzhishan", ll(109.52, 18.78)),
    ("lingshui", ll(110.02, 18.53)),
    ("chengmai", ll(110.01, 19.74)),
    ("dingan", ll(110.36, 19.68)),
    ("lingao", ll(109.69, 19.91)),
];

/// Weather stations: the adcode of the division and the station position (county seats;
/// Sansha's is on Yongxing Island).
pub const WEATHER_SITES: [(&str, LonLat); 19] = [
    ("460100", ll(110.25, 20.00)),
    ("460200", ll(109.52, 18.27)),
    ("460300", ll(112.335, 16.834)),
    ("460400", ll(109.58, 19.52)),
    ("469001", ll(109.52, 18.78)),
    ("469002", ll(110.47, 19.25)),
    ("469005", ll(110.75, 19.60)),
    ("469006", ll(110.39, 18.80)),
    ("469007", ll(108.68, 19.10)),
    ("469021", ll(110.36, 19.68)),
    ("469022", ll(110.10, 19.35)),
    ("469023", ll(110.01, 19.74)),
    ("469024", ll(109.69, 19.90)),
    ("469025", ll(109.45, 19.22)),
    ("469026", ll(109.06, 19.30)),
    ("469027", ll(109.17, 18.75)),
    ("469028", ll(110.02, 18.53)),
    ("469029", ll(109.70, 18.64)),
    ("469030", ll(109.84, 19.03)),
];

/// Wave buoys around the island: slug and mooring position (all 8+ km offshore).
pub const BUOYS: [(&str, LonLat); 8] = [
    ("qiongzhou-strait", ll(110.30, 20.13)),
    ("wenchang-east", ll(111.20, 19.70)),
    ("boao", ll(110.75, 19.10)),
    ("wanning-south", ll(110.60, 18.60)),
    ("sanya-south", ll(109.50, 17.95)),
    ("yinggehai", ll(108.60, 18.30)),
    ("dongfang-west", ll(108.35, 19.10)),
    ("beibu-gulf", ll(108.90, 19.85)),
];

//! China's Air Quality Index by HJ 633-2012 (环境空气质量指数 (AQI) 技术规定): individual
//! indices (IAQI) by linear interpolation between the standard's concentration breakpoints,
//! the AQI as their maximum, the primary pollutant and the six categories.
//!
//! Owns the arithmetic only. The stations report hourly concentrations; PM2.5 and PM10 are
//! rated on the 24-hour breakpoints (HJ 633 has no 1-hour ones for particles), NO₂ and O₃ on
//! the 1-hour ones, as the hourly real-time report (实时报) does.

/// The IAQI values at the breakpoints, shared by every pollutant (Table 1).
const IAQI: [f64; 8] = [0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0];
/// PM2.5, 24-hour mean, µg/m³.
const PM25_24H: [f64; 8] = [0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0];
/// PM10, 24-hour mean, µg/m³.
const PM10_24H: [f64; 8] = [0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0];
/// NO₂, 1-hour mean, µg/m³.
const NO2_1H: [f64; 8] = [0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0];
/// O₃, 1-hour mean, µg/m³.
const O3_1H: [f64; 8] = [0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0];

/// An hourly observation of the four pollutants a twinisle station measures, µg/m³.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Concentrations {
    /// Fine particles.
    pub pm25: f64,
    /// Coarse particles.
    pub pm10: f64,
    /// Nitrogen dioxide.
    pub no2: f64,
    /// Ozone.
    pub o3: f64,
}

/// The index and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aqi {
    /// The air quality index, 0..=500.
    pub value: u32,
    /// The pollutant with the highest IAQI when the AQI exceeds 50 (HJ 633 §4.3), else `None`.
    pub primary: Option<&'static str>,
}

impl Aqi {
    /// The category of HJ 633 Table 2 as a camelCase term for `airQualityLevel`.
    pub fn level(self) -> &'static str {
        match self.value {
            0..=50 => "excellent",
            51..=100 => "good",
            101..=150 => "lightlyPolluted",
            151..=200 => "moderatelyPolluted",
            201..=300 => "heavilyPolluted",
            _ => "severelyPolluted",
        }
    }
}

/// The individual index of concentration `c` on `breakpoints`. HJ 633 rounds every IAQI up
/// to an integer; concentrations beyond the last breakpoint rate 500.
pub fn iaqi(c: f64, breakpoints: &[f64; 8]) -> u32 {
    if !c.is_finite() || c <= 0.0 {
        return 0;
    }
    let i = breakpoints.partition_point(|&bp| bp < c);
    if i >= breakpoints.len() {
        return 500;
    }
    let (lo, hi) = (breakpoints[i - 1], breakpoints[i]);
    let index = IAQI[i - 1] + (IAQI[i] - IAQI[i - 1]) * (c - lo) / (hi - lo);
    // Guard the ceiling against representation noise (e.g. 49.999999 from a round value).
    (index - 1e-9).ceil().max(0.0) as u32
}

/// The AQI of an hourly observation.
pub fn aqi(c: &Concentrations) -> Aqi {
    let parts = [
        ("pm25", iaqi(c.pm25, &PM25_24H)),
        ("pm10", iaqi(c.pm10, &PM10_24H)),
        ("no2", iaqi(c.no2, &NO2_1H)),
        ("o3", iaqi(c.o3, &O3_1H)),
    ];
    let (name, value) = parts
        .iter()
        .copied()
        .fold(("pm25", 0), |best, p| if p.1 > best.1 { p } else { best });
    Aqi {
        value,
        primary: (value > 50).then_some(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(pm25: f64, pm10: f64, no2: f64, o3: f64) -> Concentrations {
        Concentrations {
            pm25,
            pm10,
            no2,
            o3,
        }
    }

    #[test]
    fn breakpoints_map_to_their_index() {
        assert_eq!(iaqi(35.0, &PM25_24H), 50);
        assert_eq!(iaqi(75.0, &PM25_24H), 100);
        assert_eq!(iaqi(150.0, &PM10_24H), 100);
        assert_eq!(iaqi(200.0, &NO2_1H), 100);
        assert_eq!(iaqi(160.0, &O3_1H), 50);
        assert_eq!(iaqi(500.0, &PM25_24H), 500);
        assert_eq!(iaqi(0.0, &PM25_24H), 0);
    }

    #[test]
    fn interpolates_and_rounds_up() {
        // PM2.5 50 µg/m³: 50 + (100-50)/(75-35) * (50-35) = 68.75 → 69.
        assert_eq!(iaqi(50.0, &PM25_24H), 69);
        // PM10 100: 50 + 50/100 * 50 = 75 exactly.
        assert_eq!(iaqi(100.0, &PM10_24H), 75);
        // O3 1-h 180: 50 + 50/40 * 20 = 75.
        assert_eq!(iaqi(180.0, &O3_1H), 75);
        // PM2.5 10: 50/35 * 10 = 14.29 → 15.
        assert_eq!(iaqi(10.0, &PM25_24H), 15);
        // Beyond the table.
        assert_eq!(iaqi(900.0, &PM10_24H), 500);
    }

    #[test]
    fn aqi_is_the_maximum_with_a_primary_pollutant() {
        let clean = aqi(&obs(12.0, 20.0, 15.0, 60.0));
        // PM10 20 → 20 beats PM2.5 12 → 17.1 → 18 and O3 60 → 18.75 → 19.
        assert_eq!(clean.value, 20);
        assert_eq!(clean.primary, None);
        assert_eq!(clean.level(), "excellent");
        let hazy = aqi(&obs(95.0, 130.0, 60.0, 90.0));
        // PM2.5 95: 100 + 50/40 * 20 = 125; PM10 130: 50 + 0.5 * 80 = 90.
        assert_eq!(hazy.value, 125);
        assert_eq!(hazy.primary, Some("pm25"));
        assert_eq!(hazy.level(), "lightlyPolluted");
        let smog = aqi(&obs(20.0, 40.0, 30.0, 260.0));
        // O3 260: 100 + 50/100 * 60 = 130.
        assert_eq!(smog.value, 130);
        assert_eq!(smog.primary, Some("o3"));
    }
}

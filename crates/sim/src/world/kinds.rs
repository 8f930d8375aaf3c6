//! The kinds of field device in the scenario: which department owns them (service group and
//! API key), which Smart Data Model entity they feed, and how their short measurement keys map
//! to the model's attribute names and units.
//!
//! Owns these mappings only, so the provisioning JSON, the payload encoder and the tests all
//! read the same table. Units are UN/CEFACT common codes, as FIWARE data models use.

/// How a device encodes its measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// IoT Agent JSON: an object of short keys, on `/json/{apikey}/{device}/attrs`.
    Json,
    /// UltraLight 2.0: `key|value|…` after a timestamp, on `/ul/{apikey}/{device}/attrs`.
    UltraLight,
}

/// One measured attribute: the device's key, the entity's attribute and its type and unit.
#[derive(Clone, Copy, Debug)]
pub struct Attr {
    /// The key in the device's payload (short, as constrained devices send).
    pub object_id: &'static str,
    /// The Smart Data Model attribute name.
    pub name: &'static str,
    /// The IoT Agent attribute type.
    pub ty: &'static str,
    /// The UN/CEFACT unit code, when the model's default unit needs stating.
    pub unit: Option<&'static str>,
}

const fn attr(
    object_id: &'static str,
    name: &'static str,
    ty: &'static str,
    unit: Option<&'static str>,
) -> Attr {
    Attr {
        object_id,
        name,
        ty,
        unit,
    }
}

/// A kind of device in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// River gauge (`FloodMonitoring`), Provincial Water Authority.
    Gauge,
    /// Air-quality station (`AirQualityObserved`), Department of Ecology and Environment.
    Air,
    /// Automatic weather station (`WeatherObserved`), Meteorological Service.
    Weather,
    /// Wave buoy (`SeaConditions`), Ocean Administration.
    Buoy,
    /// G98 expressway counter (`TrafficFlowObserved`, UltraLight), Transport Department.
    Expressway,
    /// Haikou city counter (`TrafficFlowObserved`, JSON), Haikou Traffic Police.
    Urban,
    /// AIS transponder (`Vessel`), Maritime Safety Administration.
    Vessel,
    /// Ranger patrol tracker (`Device`), National Park Administration.
    Ranger,
}

impl Kind {
    /// Every kind, in catalogue order.
    pub const ALL: [Kind; 8] = [
        Kind::Gauge,
        Kind::Air,
        Kind::Weather,
        Kind::Buoy,
        Kind::Expressway,
        Kind::Urban,
        Kind::Vessel,
        Kind::Ranger,
    ];

    /// The NGSI-LD entity type the device's measurements land in.
    pub fn entity_type(self) -> &'static str {
        match self {
            Kind::Gauge => "FloodMonitoring",
            Kind::Air => "AirQualityObserved",
            Kind::Weather => "WeatherObserved",
            Kind::Buoy => "SeaConditions",
            Kind::Expressway | Kind::Urban => "TrafficFlowObserved",
            Kind::Vessel => "Vessel",
            Kind::Ranger => "Device",
        }
    }

    /// The service group's API key (one per department).
    pub fn apikey(self) -> &'static str {
        match self {
            Kind::Gauge => "hn-water",
            Kind::Air => "hn-air",
            Kind::Weather => "hn-weather",
            Kind::Buoy => "hn-ocean",
            Kind::Expressway => "hn-traffic",
            Kind::Urban => "hk-traffic",
            Kind::Vessel => "hn-maritime",
            Kind::Ranger => "hn-ranger",
        }
    }

    /// The department that owns the devices (for the service group's description).
    pub fn department(self) -> &'static str {
        match self {
            Kind::Gauge => "Hainan Provincial Water Authority",
            Kind::Air => "Hainan Department of Ecology and Environment",
            Kind::Weather => "Hainan Meteorological Service",
            Kind::Buoy => "Hainan Ocean Administration",
            Kind::Expressway => "Hainan Transport Department (expressways)",
            Kind::Urban => "Haikou Traffic Police",
            Kind::Vessel => "Hainan Maritime Safety Administration",
            Kind::Ranger => "Hainan Tropical Rainforest National Park Administration",
        }
    }

    /// How the devices of this kind encode measurements.
    pub fn encoding(self) -> Encoding {
        match self {
            Kind::Expressway => Encoding::UltraLight,
            _ => Encoding::Json,
        }
    }

    /// The IoT Agent protocol name for provisioning.
    pub fn protocol(self) -> &'static str {
        match self.encoding() {
            Encoding::Json => "PDI-IoTA-JSON",
            Encoding::UltraLight => "PDI-IoTA-UltraLight",
        }
    }

    /// The southbound resource of the service group.
    pub fn resource(self) -> &'static str {
        match self.encoding() {
            Encoding::Json => "/iot/json",
            Encoding::UltraLight => "/iot/d",
        }
    }

    /// The MQTT topic a device of this kind publishes measurements on.
    pub fn topic(self, device_id: &str) -> String {
        let prefix = match self.encoding() {
            Encoding::Json => "json",
            Encoding::UltraLight => "ul",
        };
        format!("/{prefix}/{}/{device_id}/attrs", self.apikey())
    }

    /// The measured attributes, in payload order.
    pub fn attributes(self) -> &'static [Attr] {
        match self {
            Kind::Gauge => GAUGE,
            Kind::Air => AIR,
            Kind::Weather => WEATHER,
            Kind::Buoy => BUOY,
            Kind::Expressway | Kind::Urban => TRAFFIC,
            Kind::Vessel => VESSEL,
            Kind::Ranger => RANGER,
        }
    }

    /// The attribute a payload key maps to.
    pub fn attribute(self, object_id: &str) -> Option<&'static Attr> {
        self.attributes().iter().find(|a| a.object_id == object_id)
    }
}

/// FloodMonitoring: currentLevel above the gauge datum, discharge, and the device's status.
const GAUGE: &[Attr] = &[
    attr("l", "currentLevel", "Number", Some("MTR")),
    attr("q", "flow", "Number", Some("MQS")),
    attr("s", "floodLevelStatus", "Text", None),
];

/// AirQualityObserved: hourly concentrations in µg/m³ and the HJ 633 index.
const AIR: &[Attr] = &[
    attr("pm25", "pm25", "Number", Some("GQ")),
    attr("pm10", "pm10", "Number", Some("GQ")),
    attr("no2", "no2", "Number", Some("GQ")),
    attr("o3", "o3", "Number", Some("GQ")),
    attr("aqi", "airQualityIndex", "Integer", None),
    attr("lvl", "airQualityLevel", "Text", None),
    attr("t", "temperature", "Number", Some("CEL")),
    attr("h", "relativeHumidity", "Number", None),
];

/// WeatherObserved: precipitation is the rain of the last hour (l/m², i.e. mm).
const WEATHER: &[Attr] = &[
    attr("t", "temperature", "Number", Some("CEL")),
    attr("h", "relativeHumidity", "Number", None),
    attr("p", "atmosphericPressure", "Number", Some("A97")),
    attr("ws", "windSpeed", "Number", Some("MTS")),
    attr("wd", "windDirection", "Number", Some("DD")),
    attr("g", "gustSpeed", "Number", Some("MTS")),
    attr("r", "precipitation", "Number", None),
];

/// SeaConditions: significant wave height, period, Douglas sea state, surface temperature.
const BUOY: &[Attr] = &[
    attr("wh", "waveHeight", "Number", Some("MTR")),
    attr("wp", "wavePeriod", "Number", Some("SEC")),
    attr("wl", "waveLevel", "Integer", None),
    attr("st", "surfaceTemperature", "Number", Some("CEL")),
    attr("sal", "salinity", "Number", None),
];

/// TrafficFlowObserved: vehicles in the 5-minute period, occupancy, mean speed, congestion.
const TRAFFIC: &[Attr] = &[
    attr("i", "intensity", "Integer", None),
    attr("o", "occupancy", "Number", None),
    attr("s", "averageVehicleSpeed", "Number", Some("KMH")),
    attr("c", "congested", "Boolean", None),
];

/// Vessel: AIS position report; speed in m/s as the data model specifies (not knots).
const VESSEL: &[Attr] = &[
    attr("loc", "location", "geo:json", None),
    attr("sog", "speedOverGround", "Number", Some("MTS")),
    attr("cog", "courseOverGround", "Number", Some("DD")),
    attr("hdg", "heading", "Number", Some("DD")),
    attr("nav", "navigationStatus", "Integer", None),
];

/// Device (patrol tracker): position, battery and state.
const RANGER: &[Attr] = &[
    attr("loc", "location", "geo:json", None),
    attr("b", "batteryLevel", "Number", None),
    attr("st", "deviceState", "Text", None),
];

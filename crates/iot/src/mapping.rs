//! From measures to attribute fragments. A device's provisioning (its group's and its own
//! attributes) is compiled once into a [`Mapping`]: payload key → expanded attribute name, value
//! conversion, unit code and expression. Per message, [`Mapping::map_group`] turns one measure
//! group into the [`AttrPatch`]es of one entity update, with `TimeInstant` as `observedAt`.
//!
//! Owns the meaning of FIWARE attribute types for NGSI-LD. Does no I/O and takes no locks.

mod convert;

use std::collections::HashMap;

use ngsi::context::CompiledContext;
use ngsi::model::AttrKind;
use ngsi::patch::{AttrPatch, Member};
use ngsi::{Sym, Timestamp};
use serde_json::Value;

use crate::codec::{Codec, MeasureGroup};
use crate::error::{IotError, Result};
use crate::expr::Expr;
use crate::model::{AttrSpec, CommandSpec, StaticAttr};

pub use convert::{Conversion, number_of};

/// One compiled active attribute.
#[derive(Debug, Clone)]
struct Compiled {
    key: Box<str>,
    name: Box<str>,
    sym: Sym,
    conv: Conversion,
    unit: Option<Sym>,
    expr: Option<Expr>,
}

/// One command of a device: its attribute and the `_status` / `_info` companions.
#[derive(Debug, Clone)]
pub struct CommandAttr {
    /// The command name as provisioned.
    pub name: String,
    /// Expanded name of the command attribute.
    pub sym: Sym,
    /// Expanded name of `<name>_status`.
    pub status: Sym,
    /// Expanded name of `<name>_info`.
    pub info: Sym,
    /// Content type of HTTP pushes.
    pub content_type: Option<String>,
}

/// Everything needed to turn a device's payloads into entity updates.
#[derive(Debug, Clone)]
pub struct Mapping {
    attrs: Vec<Compiled>,
    by_key: HashMap<Box<str>, usize>,
    /// Drop measures that no attribute maps.
    pub explicit: bool,
    /// Stamp `observedAt` with the reception time when the device gave none.
    pub timestamp: bool,
    /// The device's commands.
    pub commands: Vec<CommandAttr>,
    /// The codec of un-prefixed topics and of commands.
    pub codec: Option<Codec>,
}

/// What one measure group became.
#[derive(Debug, Default)]
pub struct Mapped {
    /// Attribute fragments for the device's entity.
    pub attrs: Vec<AttrPatch>,
    /// One line per value that could not be mapped.
    pub failures: Vec<String>,
}

/// Names shared by every mapping, expanded once.
pub struct Terms {
    pub battery_level: Sym,
    pub rssi: Sym,
}

impl Terms {
    /// Expands the names with `ctx`.
    pub fn new(ctx: &CompiledContext) -> Self {
        Self {
            battery_level: ctx.expand("batteryLevel"),
            rssi: ctx.expand("rssi"),
        }
    }
}

/// Inputs to [`Mapping::compile`]: group settings first, device settings override.
pub struct MappingSpec<'a> {
    pub group_attrs: &'a [AttrSpec],
    pub device_attrs: &'a [AttrSpec],
    pub commands: Vec<&'a CommandSpec>,
    pub explicit: bool,
    pub timestamp: bool,
    pub protocol: Option<&'a str>,
}

impl Mapping {
    /// Compiles provisioning into a mapping; fails on unknown expressions.
    pub fn compile(spec: &MappingSpec<'_>, ctx: &CompiledContext) -> Result<Self> {
        let mut attrs: Vec<Compiled> = Vec::new();
        for a in spec.group_attrs.iter().chain(spec.device_attrs) {
            let c = compile_attr(a, ctx)?;
            match attrs.iter_mut().find(|x| x.key == c.key) {
                Some(existing) => *existing = c,
                None => attrs.push(c),
            }
        }
        let mut by_key = HashMap::new();
        for (i, a) in attrs.iter().enumerate() {
            by_key.insert(a.key.clone(), i);
        }
        for (i, a) in attrs.iter().enumerate() {
            by_key.entry(a.name.clone()).or_insert(i);
        }
        let commands = spec
            .commands
            .iter()
            .map(|c| CommandAttr {
                name: c.name.clone(),
                sym: ctx.expand(&c.name),
                status: ctx.expand(&format!("{}_status", c.name)),
                info: ctx.expand(&format!("{}_info", c.name)),
                content_type: c.content_type.clone(),
            })
            .collect();
        Ok(Self {
            attrs,
            by_key,
            explicit: spec.explicit,
            timestamp: spec.timestamp,
            commands,
            codec: spec.protocol.and_then(Codec::from_protocol),
        })
    }

    /// The command with this name.
    pub fn command(&self, name: &str) -> Option<&CommandAttr> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// Maps one measure group, received at `received`.
    pub fn map_group(
        &self,
        g: &MeasureGroup,
        received: Timestamp,
        ctx: &CompiledContext,
    ) -> Mapped {
        let observed = g.time.or(self.timestamp.then_some(received));
        let mut out = Mapped::default();
        let mut computed: Vec<(&str, f64)> = Vec::new();
        for (key, raw) in &g.values {
            match self.by_key.get(key.as_str()).map(|&i| &self.attrs[i]) {
                Some(a) if a.expr.is_some() => {}
                Some(a) => self.push(a, raw, observed, &mut out),
                None if self.explicit => {}
                None => push_unmapped(key, raw, observed, ctx, &mut out),
            }
        }
        for a in self.attrs.iter().filter(|a| a.expr.is_some()) {
            let vars = |var: &str| lookup(var, &computed, g);
            let result = a.expr.as_ref().and_then(|e| e.eval(&vars));
            match result {
                Some(v) => {
                    computed.push((&a.name, v));
                    self.push(a, &convert::json_number(v), observed, &mut out);
                }
                None => {
                    if let Some((_, raw)) = g.values.iter().find(|(k, _)| **k == *a.key) {
                        self.push(a, raw, observed, &mut out);
                    }
                }
            }
        }
        out
    }

    fn push(&self, a: &Compiled, raw: &Value, observed: Option<Timestamp>, out: &mut Mapped) {
        match a.conv.apply(raw) {
            Ok((kind, value)) => {
                let mut p = patch(a.sym.clone(), kind, value, observed);
                if let Some(u) = &a.unit {
                    p.unit_code = Member::Set(u.clone());
                }
                out.attrs.push(p);
            }
            Err(why) => out.failures.push(format!("{} ({}): {why}", a.key, a.name)),
        }
    }
}

fn lookup(var: &str, computed: &[(&str, f64)], g: &MeasureGroup) -> Option<f64> {
    if let Some((_, v)) = computed.iter().rev().find(|(n, _)| *n == var) {
        return Some(*v);
    }
    g.values
        .iter()
        .find(|(k, _)| k == var)
        .and_then(|(_, v)| number_of(v))
}

fn push_unmapped(
    key: &str,
    raw: &Value,
    observed: Option<Timestamp>,
    ctx: &CompiledContext,
    out: &mut Mapped,
) {
    if ngsi::payload::check_name(key, "measure").is_err() || key == "id" || key == "type" {
        out.failures.push(format!(
            "{key}: not a valid attribute name and no attribute maps it"
        ));
        return;
    }
    match Conversion::Raw.apply(raw) {
        Ok((kind, value)) => out
            .attrs
            .push(patch(ctx.expand(key), kind, value, observed)),
        Err(why) => out.failures.push(format!("{key}: {why}")),
    }
}

/// A complete attribute fragment.
pub fn patch(name: Sym, kind: AttrKind, value: Value, observed: Option<Timestamp>) -> AttrPatch {
    let mut p = AttrPatch::new(name);
    p.kind = Some(kind);
    p.value = Some(value);
    if let Some(t) = observed {
        p.observed_at = Member::Set(t);
    }
    p
}

fn compile_attr(a: &AttrSpec, ctx: &CompiledContext) -> Result<Compiled> {
    let expr = match &a.expression {
        Some(text) => Some(
            Expr::parse(text)
                .map_err(|e| IotError::BadRequest(format!("attribute {}: {e}", a.name)))?,
        ),
        None => None,
    };
    Ok(Compiled {
        key: a.key().into(),
        name: a.name.as_str().into(),
        sym: ctx.expand(&a.name),
        conv: Conversion::of(&a.attr_type),
        unit: a.unit().map(ngsi::intern),
        expr,
    })
}

/// Static attributes as complete fragments (checked at provisioning).
pub fn static_patches(attrs: &[&StaticAttr], ctx: &CompiledContext) -> Result<Vec<AttrPatch>> {
    attrs
        .iter()
        .map(|s| {
            let (kind, value) = Conversion::of(&s.attr_type)
                .apply(&s.value)
                .map_err(|e| IotError::BadRequest(format!("static attribute {}: {e}", s.name)))?;
            Ok(patch(ctx.expand(&s.name), kind, value, None))
        })
        .collect()
}

#[cfg(test)]
mod tests;

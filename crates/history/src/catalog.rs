//! What history knows about entities and series: per tenant, every entity with a temporal
//! evolution (its types, scope and series), and per series its entity, attribute, datasetId and
//! retention class. Held in memory for every read and persisted in `catalog.db`, together with
//! the lsn up to which the store's commits are completely recorded.
//!
//! Series ids are allocated in order and never reused, and new series are persisted before any
//! instance that refers to them, so instance ids stay stable across restarts.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ngsi::{NgsiError, Sym, intern};
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::SeriesId;
use crate::partition::db_error;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA journal_size_limit = 2097152;
CREATE TABLE IF NOT EXISTS series(
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    entity TEXT NOT NULL,
    attr TEXT NOT NULL,
    dataset TEXT,
    class INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entity(
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    types TEXT NOT NULL,
    scope TEXT,
    PRIMARY KEY(tenant, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
";

/// One series.
#[derive(Debug, Clone)]
pub struct SeriesInfo {
    pub id: SeriesId,
    pub tenant: Arc<str>,
    pub entity: Arc<str>,
    pub attr: Sym,
    pub dataset: Option<Sym>,
    /// Retention in µs (0 = forever): which partitions the series' instances go to.
    pub class: i64,
}

/// One entity with a temporal evolution.
#[derive(Debug, Clone)]
pub struct EntityInfo {
    pub id: Arc<str>,
    pub types: Vec<Sym>,
    pub scope: Option<Vec<String>>,
    /// Its series, sorted by (attribute, datasetId).
    pub series: Vec<Arc<SeriesInfo>>,
}

impl EntityInfo {
    /// The series of `attr` with `dataset`.
    pub fn series_of(&self, attr: &str, dataset: Option<&str>) -> Option<&Arc<SeriesInfo>> {
        self.series
            .iter()
            .find(|s| &*s.attr == attr && s.dataset.as_deref() == dataset)
    }
}

/// The in-memory catalog.
#[derive(Default)]
pub struct Catalog {
    pub tenants: HashMap<String, BTreeMap<Arc<str>, EntityInfo>>,
    pub series: HashMap<SeriesId, Arc<SeriesInfo>>,
    next_series: SeriesId,
    dirty_series: Vec<Arc<SeriesInfo>>,
    dirty_entities: Vec<(Arc<str>, Arc<str>)>,
}

impl Catalog {
    pub fn entity(&self, tenant: &str, id: &str) -> Option<&EntityInfo> {
        self.tenants.get(tenant)?.get(id)
    }

    /// Records an entity's types (added to those known) and scope; creates it if new.
    pub fn touch_entity(
        &mut self,
        tenant: &str,
        id: &Arc<str>,
        types: &[Sym],
        scope: Option<&Vec<String>>,
    ) {
        let entities = self.tenants.entry(tenant.to_string()).or_default();
        let e = entities.entry(id.clone()).or_insert_with(|| EntityInfo {
            id: id.clone(),
            types: Vec::new(),
            scope: None,
            series: Vec::new(),
        });
        let mut changed = false;
        for t in types {
            if !e.types.contains(t) {
                e.types.push(t.clone());
                changed = true;
            }
        }
        if scope.is_some() && e.scope.as_ref() != scope {
            e.scope = scope.cloned();
            changed = true;
        }
        if changed {
            self.dirty_entities.push((Arc::from(tenant), id.clone()));
        }
    }

    /// The series of (tenant, entity, attr, dataset), created with `class` if new. The entity
    /// must have been touched first.
    pub fn series_for(
        &mut self,
        tenant: &str,
        entity: &Arc<str>,
        attr: &Sym,
        dataset: Option<&Sym>,
        class: impl FnOnce(&[Sym]) -> i64,
    ) -> Arc<SeriesInfo> {
        let Some(e) = self.tenants.get_mut(tenant).and_then(|t| t.get_mut(entity)) else {
            // Unreachable by contract; a series without an entity would be invisible, so create
            // the entity rather than lose data.
            self.touch_entity(tenant, entity, &[], None);
            return self.series_for(tenant, entity, attr, dataset, class);
        };
        if let Some(s) = e.series_of(attr, dataset.map(|d| &**d)) {
            return s.clone();
        }
        self.next_series += 1;
        let s = Arc::new(SeriesInfo {
            id: self.next_series,
            tenant: Arc::from(tenant),
            entity: entity.clone(),
            attr: attr.clone(),
            dataset: dataset.cloned(),
            class: class(&e.types),
        });
        let pos = e
            .series
            .partition_point(|x| (&x.attr, &x.dataset) < (&s.attr, &s.dataset));
        e.series.insert(pos, s.clone());
        self.series.insert(s.id, s.clone());
        self.dirty_series.push(s.clone());
        s
    }

    /// Forgets series (and the entity, with `entity_too`), returning the removed series ids.
    pub fn remove(&mut self, tenant: &str, id: &str, series: &[SeriesId], entity_too: bool) {
        for s in series {
            self.series.remove(s);
        }
        if let Some(entities) = self.tenants.get_mut(tenant) {
            if entity_too {
                entities.remove(id);
            } else if let Some(e) = entities.get_mut(id) {
                e.series.retain(|s| !series.contains(&s.id));
            }
        }
    }

    /// What changed since the last call, ready to persist without holding the catalog.
    pub fn take_dirty(&mut self) -> Dirty {
        let entities = std::mem::take(&mut self.dirty_entities);
        let rows = entities
            .iter()
            .filter_map(|(t, id)| {
                let e = self.entity(t, id)?;
                let types: Vec<&str> = e.types.iter().map(|t| &**t).collect();
                let types = serde_json::to_string(&types).ok()?;
                let scope = e.scope.as_ref().and_then(|s| serde_json::to_string(s).ok());
                Some((t.clone(), id.clone(), types, scope))
            })
            .collect();
        Dirty {
            series: std::mem::take(&mut self.dirty_series),
            entities,
            rows,
            next_series: self.next_series,
        }
    }

    /// Puts back what a failed persist did not write, so the next one retries.
    pub fn restore_dirty(&mut self, d: Dirty) {
        self.dirty_series.extend(d.series);
        self.dirty_entities.extend(d.entities);
    }
}

/// An entity row: tenant, id, types (JSON), scope (JSON).
type EntityRow = (Arc<str>, Arc<str>, String, Option<String>);

/// Catalog changes on their way to disk.
pub struct Dirty {
    series: Vec<Arc<SeriesInfo>>,
    entities: Vec<(Arc<str>, Arc<str>)>,
    rows: Vec<EntityRow>,
    next_series: SeriesId,
}

impl Dirty {
    pub fn is_empty(&self) -> bool {
        self.series.is_empty() && self.rows.is_empty()
    }
}

fn meta_raw(conn: &Connection, k: &str) -> rusqlite::Result<u64> {
    conn.query_row("SELECT v FROM meta WHERE k = ?1", [k], |r| {
        r.get::<_, i64>(0)
    })
    .optional()
    .map(|v| v.unwrap_or(0) as u64)
}

/// The catalog's file.
pub struct CatalogDb {
    conn: Connection,
    path: PathBuf,
}

impl CatalogDb {
    /// Opens `dir/catalog.db` and loads the catalog and the recorded lsn.
    pub fn open(dir: &Path) -> Result<(Self, Catalog, u64), NgsiError> {
        let path = dir.join("catalog.db");
        let err = |what: &str, e| db_error(what, &path, e);
        let conn = Connection::open(&path).map_err(|e| err("cannot open", e))?;
        conn.execute_batch(SCHEMA)
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .map_err(|e| err("cannot prepare", e))?;
        let catalog = Self::load(&conn).map_err(|e| err("cannot load", e))?;
        let db = Self { conn, path };
        let lsn = db.get_meta("lsn")?;
        Ok((db, catalog, lsn))
    }

    fn load(conn: &Connection) -> rusqlite::Result<Catalog> {
        let mut c = Catalog::default();
        let mut stmt = conn.prepare("SELECT tenant, id, types, scope FROM entity")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        for row in rows {
            let (tenant, id, types, scope) = row?;
            let types: Vec<String> = serde_json::from_str(&types).unwrap_or_default();
            let types: Vec<Sym> = types.iter().map(|t| intern(t)).collect();
            let scope: Option<Vec<String>> = scope.and_then(|s| serde_json::from_str(&s).ok());
            c.touch_entity(&tenant, &Arc::from(id.as_str()), &types, scope.as_ref());
        }
        let mut stmt = conn
            .prepare("SELECT id, tenant, entity, attr, dataset, class FROM series ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, SeriesId>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        for row in rows {
            let (id, tenant, entity, attr, dataset, class) = row?;
            let entity: Arc<str> = Arc::from(entity.as_str());
            c.touch_entity(&tenant, &entity, &[], None);
            c.next_series = id - 1;
            let s = c.series_for(
                &tenant,
                &entity,
                &intern(&attr),
                dataset.map(|d| intern(&d)).as_ref(),
                |_| class,
            );
            debug_assert_eq!(s.id, id);
        }
        c.next_series = c
            .next_series
            .max(meta_raw(conn, "next_series")? as SeriesId);
        c.take_dirty();
        Ok(c)
    }

    pub fn get_meta(&self, k: &str) -> Result<u64, NgsiError> {
        meta_raw(&self.conn, k).map_err(|e| db_error("cannot read", &self.path, e))
    }

    /// Persists catalog changes and meta values in one durable transaction. On failure the
    /// changes are handed back.
    pub fn persist(
        &mut self,
        d: Dirty,
        meta: &[(&str, u64)],
    ) -> Result<(), Box<(NgsiError, Dirty)>> {
        let result = (|| {
            let tx = self.conn.transaction()?;
            {
                let mut ins = tx.prepare_cached(
                    "INSERT OR REPLACE INTO series(id, tenant, entity, attr, dataset, class) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for s in &d.series {
                    ins.execute(params![
                        s.id,
                        &*s.tenant,
                        &*s.entity,
                        &*s.attr,
                        s.dataset.as_deref(),
                        s.class
                    ])?;
                }
                let mut ent = tx.prepare_cached(
                    "INSERT OR REPLACE INTO entity(tenant, id, types, scope) VALUES(?1, ?2, ?3, ?4)",
                )?;
                for (t, id, types, scope) in &d.rows {
                    ent.execute(params![&**t, &**id, types, scope])?;
                }
                let mut m = tx.prepare_cached(
                    "INSERT INTO meta(k, v) VALUES(?1, ?2) ON CONFLICT(k) DO UPDATE SET v = ?2",
                )?;
                m.execute(params!["next_series", i64::from(d.next_series)])?;
                for (k, v) in meta {
                    m.execute(params![k, *v as i64])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| Box::new((db_error("cannot write", &self.path, e), d)))
    }

    /// Deletes series rows (and the entity row, with `entity_too`) durably.
    pub fn remove(
        &mut self,
        tenant: &str,
        id: &str,
        series: &[SeriesId],
        entity_too: bool,
    ) -> Result<(), NgsiError> {
        let result = (|| {
            let tx = self.conn.transaction()?;
            {
                let mut del = tx.prepare_cached("DELETE FROM series WHERE id = ?1")?;
                for s in series {
                    del.execute([s])?;
                }
            }
            if entity_too {
                tx.execute(
                    "DELETE FROM entity WHERE tenant = ?1 AND id = ?2",
                    [tenant, id],
                )?;
            }
            tx.commit()
        })();
        result.map_err(|e| db_error("cannot delete", &self.path, e))
    }
}

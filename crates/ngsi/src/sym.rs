//! Interned strings for the names that repeat across millions of entities (attribute IRIs,
//! type IRIs, dataset ids): one shared allocation per distinct name keeps the twin small.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

/// A cheaply clonable, interned string.
pub type Sym = Arc<str>;

static TABLE: LazyLock<Mutex<HashSet<Arc<str>>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// Returns the one shared copy of `s`.
pub fn intern(s: &str) -> Sym {
    let mut table = TABLE.lock();
    if let Some(existing) = table.get(s) {
        return existing.clone();
    }
    let sym: Arc<str> = Arc::from(s);
    table.insert(sym.clone());
    sym
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_shares_one_allocation() {
        let a = intern("https://uri.etsi.org/ngsi-ld/default-context/level");
        let b = intern(&String::from(
            "https://uri.etsi.org/ngsi-ld/default-context/level",
        ));
        assert!(Arc::ptr_eq(&a, &b));
    }
}

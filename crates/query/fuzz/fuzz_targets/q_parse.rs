//! `q`: parse any text; what parses must print back to something that parses to the same
//! tree, and must resolve and evaluate without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ngsi::{Entity, intern};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(expr) = query::q::parse_q(text) else { return };
    let printed = expr.to_string();
    assert_eq!(query::q::parse_q(&printed).ok().as_ref(), Some(&expr), "{printed}");
    if let Ok(resolved) = expr.resolve(&|t| intern(t)) {
        let e = Entity::new("urn:x".into(), vec![intern("T")], 0);
        let _ = resolved.matches(&e);
    }
});

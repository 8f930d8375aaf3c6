//! Subscription matching for the embedded broker: a trie over topic levels with `+` and `#`
//! wildcards (MQTT 3.1.1 §4.7), where topics starting with `$` are not matched by a leading
//! wildcard. A session matching several filters receives a message once, at its highest QoS.

use std::collections::HashMap;

/// A connection's id inside the broker.
pub type SessionId = u64;

#[derive(Default)]
struct Node {
    children: HashMap<Box<str>, Node>,
    plus: Option<Box<Node>>,
    /// Subscribers of `<this level>/#`.
    hash: HashMap<SessionId, u8>,
    /// Subscribers of exactly this level.
    here: HashMap<SessionId, u8>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.children.is_empty()
            && self.plus.is_none()
            && self.hash.is_empty()
            && self.here.is_empty()
    }
}

/// The subscription table.
#[derive(Default)]
pub struct Router {
    root: Node,
    count: usize,
}

/// Whether `f` is a valid topic filter.
pub fn valid_filter(f: &str) -> bool {
    if f.is_empty() || f.len() > 65_535 {
        return false;
    }
    let levels: Vec<&str> = f.split('/').collect();
    levels.iter().enumerate().all(|(i, l)| match *l {
        "#" => i + 1 == levels.len(),
        "+" => true,
        l => !l.contains(['+', '#']),
    })
}

/// The filter a shared subscription (`$share/<group>/<filter>`) stands for.
pub fn unshare(f: &str) -> &str {
    f.strip_prefix("$share/")
        .and_then(|rest| rest.split_once('/'))
        .map_or(f, |(_, filter)| filter)
}

impl Router {
    /// Adds (or re-grants) a subscription.
    pub fn subscribe(&mut self, filter: &str, sid: SessionId, qos: u8) {
        let mut node = &mut self.root;
        let levels: Vec<&str> = filter.split('/').collect();
        for (i, level) in levels.iter().enumerate() {
            match *level {
                "#" if i + 1 == levels.len() => {
                    if node.hash.insert(sid, qos).is_none() {
                        self.count += 1;
                    }
                    return;
                }
                "+" => node = node.plus.get_or_insert_with(Box::default),
                l => node = node.children.entry(l.into()).or_default(),
            }
        }
        if node.here.insert(sid, qos).is_none() {
            self.count += 1;
        }
    }

    /// Removes a subscription, pruning empty branches.
    pub fn unsubscribe(&mut self, filter: &str, sid: SessionId) {
        let levels: Vec<&str> = filter.split('/').collect();
        if remove(&mut self.root, &levels, sid) {
            self.count -= 1;
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The sessions subscribed to `topic`, each once with its highest QoS.
    pub fn matches(&self, topic: &str, out: &mut Vec<(SessionId, u8)>) {
        out.clear();
        let levels: Vec<&str> = topic.split('/').collect();
        let dollar = topic.starts_with('$');
        walk(&self.root, &levels, 0, dollar, out);
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        out.dedup_by_key(|(sid, _)| *sid);
    }
}

fn walk(node: &Node, levels: &[&str], i: usize, dollar: bool, out: &mut Vec<(SessionId, u8)>) {
    let wild_ok = !(i == 0 && dollar);
    if wild_ok {
        out.extend(node.hash.iter().map(|(s, q)| (*s, *q)));
    }
    let Some(level) = levels.get(i) else {
        out.extend(node.here.iter().map(|(s, q)| (*s, *q)));
        return;
    };
    if let Some(child) = node.children.get(*level) {
        walk(child, levels, i + 1, dollar, out);
    }
    if wild_ok && let Some(plus) = &node.plus {
        walk(plus, levels, i + 1, dollar, out);
    }
}

fn remove(node: &mut Node, levels: &[&str], sid: SessionId) -> bool {
    match levels {
        [] => node.here.remove(&sid).is_some(),
        ["#"] => node.hash.remove(&sid).is_some(),
        [first, rest @ ..] => {
            let (removed, empty) = if *first == "+" {
                match node.plus.as_deref_mut() {
                    Some(child) => (remove(child, rest, sid), child.is_empty()),
                    None => return false,
                }
            } else {
                match node.children.get_mut(*first) {
                    Some(child) => (remove(child, rest, sid), child.is_empty()),
                    None => return false,
                }
            };
            if empty {
                if *first == "+" {
                    node.plus = None;
                } else {
                    node.children.remove(*first);
                }
            }
            removed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(r: &Router, topic: &str) -> Vec<(SessionId, u8)> {
        let mut out = Vec::new();
        r.matches(topic, &mut out);
        out
    }

    #[test]
    fn wildcards_match_per_mqtt_rules() {
        let mut r = Router::default();
        r.subscribe("/k/+/cmd", 1, 1);
        r.subscribe("#", 2, 0);
        r.subscribe("/k/d1/#", 3, 1);
        r.subscribe("/k/d1/cmd", 3, 0);
        assert_eq!(hits(&r, "/k/d1/cmd"), vec![(1, 1), (2, 0), (3, 1)]);
        assert_eq!(hits(&r, "/k/d1"), vec![(2, 0), (3, 1)]);
        assert_eq!(hits(&r, "/k/d2/attrs"), vec![(2, 0)]);
        assert_eq!(hits(&r, "$SYS/x"), vec![]);
        assert_eq!(r.count, 4);
    }

    #[test]
    fn unsubscribe_prunes_and_filters_are_validated() {
        let mut r = Router::default();
        r.subscribe("a/+/c", 1, 0);
        r.unsubscribe("a/+/c", 1);
        r.unsubscribe("a/+/c", 1);
        assert!(r.is_empty());
        assert!(r.root.is_empty());
        assert!(valid_filter("a/+/#") && valid_filter("#") && valid_filter("/"));
        assert!(!valid_filter("a/#/b") && !valid_filter("a+") && !valid_filter(""));
        assert_eq!(unshare("$share/g/a/b"), "a/b");
        assert_eq!(unshare("a/b"), "a/b");
    }
}

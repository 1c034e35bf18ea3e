//! Request parameters (query string or form body), with the rules of RFC 6749 §3.1:
//! a parameter sent without a value is as if omitted, and none may be repeated.

use std::collections::BTreeMap;

/// Limits on what a request may carry (bodies are capped at 64 KiB by the web layer).
pub const MAX_PARAMS: usize = 100;
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

#[derive(Debug, Default, Clone)]
pub struct Params {
    map: BTreeMap<String, String>,
    repeated: Vec<String>,
    oversized: bool,
    /// Every `resource` value: RFC 8707 lets it repeat, so it is never "repeated".
    resources: Vec<String>,
}

impl Params {
    /// Parse `application/x-www-form-urlencoded` text. Never fails: malformed input gives no
    /// parameters, which every endpoint then reports as missing ones.
    pub fn parse(encoded: &str) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(encoded).unwrap_or_default();
        Self::from_pairs(pairs)
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut p = Params::default();
        if pairs.len() > MAX_PARAMS
            || pairs
                .iter()
                .any(|(k, v)| k.len() > 256 || v.len() > MAX_VALUE_BYTES)
        {
            // Too much to be a real request: keep nothing, remember why.
            p.oversized = true;
            return p;
        }
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            if k == "resource" {
                p.resources.push(v);
                continue;
            }
            match p.map.entry(k) {
                std::collections::btree_map::Entry::Occupied(e) => {
                    if !p.repeated.contains(e.key()) {
                        p.repeated.push(e.key().clone());
                    }
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
        p
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// The rest of every parameter name that starts with `prefix`, in order: a form's set of
    /// checkboxes named `prefix` + value (parameters here never repeat).
    pub fn suffixes(&self, prefix: &str) -> Vec<&str> {
        self.map
            .range(prefix.to_owned()..)
            .map(|(k, _)| k.as_str())
            .take_while(|k| k.starts_with(prefix))
            .map(|k| &k[prefix.len()..])
            .collect()
    }

    /// True when `key` was sent more than once.
    pub fn is_repeated(&self, key: &str) -> bool {
        self.repeated.iter().any(|k| k == key)
    }

    /// True when the request had too many parameters or one too long (and was emptied).
    pub fn is_oversized(&self) -> bool {
        self.oversized
    }

    /// The `resource` values (RFC 8707), in order.
    pub fn resources(&self) -> Vec<&str> {
        self.resources.iter().map(String::as_str).collect()
    }

    /// The first repeated parameter, if any.
    pub fn first_repeated(&self) -> Option<&str> {
        self.repeated.first().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_the_checkbox_values_of_a_prefix_and_nothing_else() {
        let p = Params::parse("grant.a=on&grant.b%3Ac=on&granted=x&group.ops=on&grant.=on");
        assert_eq!(p.suffixes("grant."), ["", "a", "b:c"]);
        assert_eq!(p.suffixes("group."), ["ops"]);
        assert!(p.suffixes("nope.").is_empty());
    }
    #[test]
    fn empty_values_are_omitted_and_repeats_are_noticed() {
        let p = Params::parse("a=1&b=&c=x+y&a=2");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert!(p.is_repeated("a"));
        assert_eq!(p.first_repeated(), Some("a"));
    }

    #[test]
    fn too_many_or_too_long_parameters_empty_the_request() {
        let many: String = (0..101).map(|i| format!("p{i}=x&")).collect();
        assert!(Params::parse(&many).is_oversized());
        assert_eq!(Params::parse(&many).get("p1"), None);
        let long = format!("state={}", "a".repeat(MAX_VALUE_BYTES + 1));
        assert!(Params::parse(&long).is_oversized());
        assert!(!Params::parse("a=1").is_oversized());
    }
}

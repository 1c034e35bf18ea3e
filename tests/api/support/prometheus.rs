//! A strict reader of the Prometheus text exposition format (0.0.4): every line must be a
//! `# HELP`, a `# TYPE` or a sample of a family declared before it, or the parse panics.

use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One scrape, parsed.
#[derive(Debug, Default)]
pub struct Scrape {
    pub samples: Vec<Sample>,
    /// Family name -> `counter`, `gauge`, `histogram`, ...
    pub types: HashMap<String, String>,
}

/// The family a sample belongs to: its own name, or without a histogram's suffix.
fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let base = name.strip_suffix(suffix)?;
        (types.get(base).map(String::as_str) == Some("histogram")).then_some(base)
    })
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `{a="x",b="y\"z"}` (after the name): the labels, and the rest of the line.
fn labels(text: &str, line: &str) -> (BTreeMap<String, String>, String) {
    let mut out = BTreeMap::new();
    let mut rest = text.strip_prefix('{').expect("labels start with {");
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return (out, after.to_owned());
        }
        let (name, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label without =\" in {line:?}"));
        assert!(is_name(name), "bad label name {name:?} in {line:?}");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => panic!("bad escape {other:?} in {line:?}"),
                },
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {line:?}"),
            }
        };
        assert!(
            out.insert(name.to_owned(), value).is_none(),
            "repeated label {name} in {line:?}"
        );
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn number(s: &str, line: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => s
            .parse()
            .unwrap_or_else(|_| panic!("bad number {s:?} in {line:?}")),
    }
}

impl Scrape {
    pub fn parse(text: &str) -> Scrape {
        let mut s = Scrape::default();
        for line in text.lines() {
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name type");
                assert!(is_name(name), "{line:?}");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "{line:?}"
                );
                let before = s.types.insert(name.to_owned(), kind.to_owned());
                assert!(before.is_none(), "family typed twice: {line:?}");
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            assert!(!line.starts_with('#'), "unknown comment {line:?}");
            let name_end = line
                .find(['{', ' '])
                .unwrap_or_else(|| panic!("no value in {line:?}"));
            let name = &line[..name_end];
            assert!(is_name(name), "bad metric name in {line:?}");
            let (labels, rest) = if line[name_end..].starts_with('{') {
                labels(&line[name_end..], line)
            } else {
                (BTreeMap::new(), line[name_end..].to_owned())
            };
            let mut fields = rest.split_whitespace();
            let value = number(fields.next().expect("a value"), line);
            assert!(fields.count() <= 1, "trailing text in {line:?}");
            assert!(
                family_of(name, &s.types).is_some(),
                "sample of an undeclared family: {line:?}"
            );
            s.samples.push(Sample {
                name: name.to_owned(),
                labels,
                value,
            });
        }
        s
    }

    /// Samples named `name` whose labels include every pair of `with`.
    pub fn matching<'a>(
        &'a self,
        name: &'a str,
        with: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The value of the one sample named `name` with exactly these labels; 0 when absent (a
    /// labelled counter appears with its first increment).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found: Vec<&Sample> = self
            .matching(name, labels)
            .filter(|s| s.labels.len() == labels.len())
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?} appears twice");
        found.first().map_or(0.0, |s| s.value)
    }

    /// The sum over every sample named `name` whose labels include `with`.
    pub fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.matching(name, with).map(|s| s.value).sum()
    }

    /// Every label value of every sample.
    pub fn label_values(&self) -> impl Iterator<Item = &str> {
        self.samples
            .iter()
            .flat_map(|s| s.labels.values().map(String::as_str))
    }

    /// Checks every histogram: per label set, buckets ascend by `le`, counts never fall, the
    /// `+Inf` bucket equals `_count`, and `_sum` is there. Returns how many series it checked.
    pub fn check_histograms(&self) -> usize {
        let mut checked = 0;
        for (family, _) in self.types.iter().filter(|(_, t)| *t == "histogram") {
            let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
            for s in self.matching(&format!("{family}_bucket"), &[]) {
                let mut key = s.labels.clone();
                let le = key.remove("le").expect("a bucket has le");
                series
                    .entry(key)
                    .or_default()
                    .push((number(&le, &le), s.value));
            }
            for (labels, buckets) in series {
                let with: Vec<(&str, &str)> = labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                for pair in buckets.windows(2) {
                    assert!(
                        pair[0].0 < pair[1].0,
                        "{family} {labels:?}: le not ascending"
                    );
                    assert!(
                        pair[0].1 <= pair[1].1,
                        "{family} {labels:?}: bucket counts fall: {buckets:?}"
                    );
                }
                let last = buckets.last().expect("buckets");
                assert!(last.0.is_infinite(), "{family} {labels:?}: no +Inf bucket");
                let count = self.value(&format!("{family}_count"), &with);
                assert_eq!(last.1, count, "{family} {labels:?}: +Inf bucket != _count");
                assert_eq!(
                    self.matching(&format!("{family}_sum"), &with).count(),
                    1,
                    "{family} {labels:?}: one _sum"
                );
                checked += 1;
            }
        }
        checked
    }
}

/// GET `/metrics` on `port` (127.0.0.1): the parsed text, after checking status and type.
pub async fn scrape(port: u16) -> Scrape {
    let res = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("GET /metrics");
    assert_eq!(res.status(), 200, "/metrics answers 200");
    let ct = res
        .headers()
        .get("content-type")
        .expect("a Content-Type")
        .to_str()
        .expect("text")
        .to_owned();
    assert_eq!(
        ct, "text/plain; version=0.0.4",
        "the Prometheus text format"
    );
    Scrape::parse(&res.text().await.expect("body"))
}

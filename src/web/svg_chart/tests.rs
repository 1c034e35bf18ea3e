//! The chart's shape, checked on its XML: well-formed, one column per hour, proportional
//! heights, patterns as well as colours, an empty week said in words.

use super::*;
use crate::oidc::admin::dashboard::HOURS;

/// Monday 13 May 2024, 00:00 UTC.
const MONDAY: i64 = 1_715_558_400;

fn series(f: impl Fn(usize) -> (i64, i64)) -> HourlySignIns {
    let (succeeded, failed) = (0..HOURS).map(f).unzip();
    HourlySignIns {
        from: MONDAY,
        succeeded,
        failed,
    }
}

/// The elements of a well-formed XML document, as (name, attributes), in document order;
/// panics where the text is not well-formed (unbalanced or unquoted, a raw `<` or `&`, a
/// repeated attribute, more than one root).
fn elements(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || "-_:.".contains(c);
    let check_text = |t: &str| {
        for (i, _) in t.match_indices('&') {
            let entity = &t[i..t[i..].find(';').map_or(t.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
                "raw & in {t:?}"
            );
        }
    };
    let (mut out, mut open, mut roots) = (Vec::new(), Vec::<String>::new(), 0);
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        assert!(
            !open.is_empty() || text.trim().is_empty(),
            "text outside the root"
        );
        check_text(text);
        rest = &rest[lt + 1..];
        if let Some(r) = rest.strip_prefix('/') {
            let end = r.find('>').expect("closing tag ends");
            assert_eq!(open.pop().as_deref(), Some(&r[..end]), "balanced tags");
            rest = &r[end + 1..];
            continue;
        }
        let end = rest.find(|c: char| !name_char(c)).expect("tag name ends");
        let name = rest[..end].to_owned();
        assert!(!name.is_empty(), "a tag has a name");
        if open.is_empty() {
            roots += 1;
        }
        rest = &rest[end..];
        let mut attrs: Vec<(String, String)> = Vec::new();
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("/>") {
                rest = r;
                break;
            }
            if let Some(r) = rest.strip_prefix('>') {
                rest = r;
                open.push(name.clone());
                break;
            }
            let end = rest.find(|c: char| !name_char(c)).expect("attribute ends");
            let key = rest[..end].to_owned();
            assert!(!key.is_empty(), "attribute name in <{name}>");
            let r = rest[end..]
                .strip_prefix("=\"")
                .expect("attribute = \"value\"");
            let close = r.find('"').expect("attribute value ends");
            let value = &r[..close];
            assert!(!value.contains('<'), "raw < in {key}");
            check_text(value);
            assert!(attrs.iter().all(|(k, _)| *k != key), "{key} twice");
            attrs.push((key, value.to_owned()));
            rest = &r[close + 1..];
        }
        out.push((name, attrs));
    }
    assert!(open.is_empty(), "unclosed {open:?}");
    assert!(rest.trim().is_empty(), "text after the root");
    assert_eq!(roots, 1, "one root element");
    out
}

#[test]
fn the_xml_check_refuses_what_is_not_well_formed() {
    for bad in [
        "<svg><g></svg>",
        "<svg><g/></g></svg>",
        "<svg a=1/>",
        "<svg a=\"1\" a=\"2\"/>",
        "<svg><text>R&D</text></svg>",
        "<svg/><svg/>",
        "<svg>",
    ] {
        assert!(std::panic::catch_unwind(|| elements(bad)).is_err(), "{bad}");
    }
    assert_eq!(elements("<svg a=\"&lt;\"><g/></svg>").len(), 2);
}

fn attr<'a>(el: &'a (String, Vec<(String, String)>), key: &str) -> Option<&'a str> {
    el.1.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn rects<'a>(
    els: &'a [(String, Vec<(String, String)>)],
    class: &str,
) -> Vec<&'a (String, Vec<(String, String)>)> {
    els.iter()
        .filter(|e| e.0 == "rect" && attr(e, "class") == Some(class))
        .collect()
}

fn height(e: &(String, Vec<(String, String)>)) -> f64 {
    attr(e, "height")
        .and_then(|h| h.parse().ok())
        .expect("a height")
}

#[test]
fn the_chart_is_well_formed_xml_that_scales_to_its_card_and_names_itself_to_screen_readers() {
    let svg = sign_in_chart(&series(|i| ((i % 7) as i64, (i % 3) as i64)));
    let els = elements(&svg);
    let root = &els[0];
    assert_eq!(root.0, "svg");
    assert_eq!(attr(root, "role"), Some("img"));
    assert!(attr(root, "viewBox").is_some());
    assert_eq!(attr(root, "width"), None, "no fixed width");
    assert_eq!(attr(root, "height"), None);
    assert_eq!(attr(root, "style"), None, "the CSP forbids inline styles");
    assert!(els.iter().all(|e| attr(e, "style").is_none()));
    let labelled = attr(root, "aria-labelledby").expect("labelled");
    for id in labelled.split(' ') {
        assert!(els.iter().any(|e| attr(e, "id") == Some(id)), "{id}");
    }
    assert!(svg.contains("<desc id=\"sign-in-chart-desc\">"));
}

#[test]
fn the_description_sums_up_the_week_and_names_the_busiest_hour() {
    let svg = sign_in_chart(&series(|i| match i {
        14 => (40, 2),
        30 => (1, 0),
        _ => (0, 0),
    }));
    assert!(
        svg.contains("41 sign-ins and 2 failed sign-ins in the last 7 days (Mon 13 May 00:00 to Mon 20 May 00:00 UTC). The busiest hour, Mon 13 May 14:00 UTC, had 40 sign-ins and 2 failed sign-ins."),
        "{svg}"
    );
}

#[test]
fn there_is_a_column_for_each_of_the_168_hours() {
    let svg = sign_in_chart(&series(|_| (1, 1)));
    let els = elements(&svg);
    let ok = rects(&els, "chart-ok");
    let bad = rects(&els, "chart-fail-bar");
    // The legend's swatch is a chart-ok rect too.
    assert_eq!(ok.len(), HOURS + 1);
    assert_eq!(bad.len(), HOURS);
    let mut xs: Vec<&str> = bad.iter().filter_map(|e| attr(e, "x")).collect();
    xs.dedup();
    assert_eq!(xs.len(), HOURS, "each hour in its own place");
    assert_eq!(svg.matches("<g><title>").count(), HOURS);
}

#[test]
fn bar_heights_are_proportional_to_the_counts() {
    let svg = sign_in_chart(&series(|i| match i {
        0 => (10, 5),
        1 => (20, 0),
        2 => (5, 15),
        _ => (0, 0),
    }));
    let els = elements(&svg);
    let ok: Vec<f64> = rects(&els, "chart-ok")[1..]
        .iter()
        .map(|e| height(e))
        .collect();
    let bad: Vec<f64> = rects(&els, "chart-fail-bar")
        .iter()
        .map(|e| height(e))
        .collect();
    assert_eq!(ok.len(), 3);
    assert_eq!(bad.len(), 2);
    let unit = ok[0] / 10.0;
    assert!(unit > 0.0);
    for (h, n) in [(ok[1], 20.0), (ok[2], 5.0), (bad[0], 5.0), (bad[1], 15.0)] {
        assert!((h - n * unit).abs() < 0.02, "{h} for {n}, unit {unit}");
    }
    // The tallest column (20) stays inside the plot, and fills at least half of it.
    assert!(20.0 * unit <= PLOT_H && 20.0 * unit >= PLOT_H / 2.0);
}

#[test]
fn failures_differ_from_sign_ins_in_pattern_not_only_colour() {
    let svg = sign_in_chart(&series(|i| (1, (i == 3) as i64)));
    let els = elements(&svg);
    let fill = |e: &&(String, Vec<(String, String)>)| attr(e, "fill").map(str::to_owned);
    let ok: Vec<_> = rects(&els, "chart-ok").iter().filter_map(fill).collect();
    let bad: Vec<_> = rects(&els, "chart-fail-bar")
        .iter()
        .filter_map(fill)
        .collect();
    assert!(ok.iter().all(|f| f.starts_with('#')), "solid: {ok:?}");
    assert_eq!(bad, ["url(#sign-in-chart-stripes)"]);
    assert!(
        els.iter()
            .any(|e| e.0 == "pattern" && attr(e, "id") == Some("sign-in-chart-stripes"))
    );
    let legend = els
        .iter()
        .filter(|e| attr(e, "fill") == Some("url(#sign-in-chart-stripes)"));
    assert_eq!(legend.count(), 2, "the legend shows the stripes too");
}

#[test]
fn without_any_sign_in_the_chart_is_empty_and_says_so() {
    let svg = sign_in_chart(&series(|_| (0, 0)));
    let els = elements(&svg);
    assert_eq!(rects(&els, "chart-ok").len(), 1, "only the legend");
    assert!(rects(&els, "chart-fail-bar").is_empty());
    assert!(
        svg.contains(
            "<desc id=\"sign-in-chart-desc\">No sign-ins and no failed sign-ins in the last 7 days"
        ),
        "{svg}"
    );
    assert!(svg.contains(">No sign-ins in the last 7 days</text>"));
    assert!(table_rows(&series(|_| (0, 0))).is_empty());
}

#[test]
fn each_day_is_labelled_under_its_hours() {
    let svg = sign_in_chart(&series(|_| (0, 0)));
    for day in ["Mon 13", "Tue 14", "Sun 19"] {
        assert!(svg.contains(&format!(">{day}</text>")), "{day}");
    }
    let late = HourlySignIns {
        from: MONDAY + 20 * HOUR,
        ..series(|_| (0, 0))
    };
    let svg = sign_in_chart(&late);
    assert!(!svg.contains(">Mon 13</text>"), "4 hours of a day: no room");
    assert!(svg.contains(">Mon 20</text>"), "20 hours of the last day");
}

#[test]
fn the_gridlines_count_in_round_steps_above_the_busiest_hour() {
    assert_eq!(tick_step(0), 1);
    assert_eq!(tick_step(4), 1);
    assert_eq!(tick_step(7), 2);
    assert_eq!(tick_step(41), 20);
    assert_eq!(tick_step(4_000), 1_000);
    assert_eq!(tick_step(4_001), 2_000);
}

#[test]
fn the_table_lists_the_hours_with_sign_ins_or_failures() {
    let rows = table_rows(&series(|i| match i {
        1 => (0, 3),
        25 => (2, 0),
        _ => (0, 0),
    }));
    assert_eq!(
        rows,
        [
            ChartRow {
                hour: "Mon 13 May 01:00".into(),
                succeeded: 0,
                failed: 3
            },
            ChartRow {
                hour: "Tue 14 May 01:00".into(),
                succeeded: 2,
                failed: 0
            },
        ]
    );
}

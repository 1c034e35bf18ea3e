//! The admin dashboard's chart: sign-ins and failed sign-ins per hour as an inline SVG, drawn
//! on the server (no chart service, no script).
//!
//! One column per hour, sign-ins at the bottom in solid fill, failed sign-ins stacked on top in
//! horizontal stripes: the two differ in pattern as well as colour. The colours are
//! presentation attributes (the CSP forbids inline styles, not these) that `static/style.css`
//! replaces with the site's variables through the `chart-*` classes, so dark mode applies. The
//! SVG has a viewBox and no width, so it scales to its card. Everything in it is numbers and
//! fixed words built here: nothing needs escaping. `role="img"` with a `<title>` and a `<desc>`
//! of the totals; the page adds the table of [`table_rows`] for screen readers.

use crate::oidc::admin::dashboard::HourlySignIns;
use std::fmt::Write as _;

/// One hour, in viewBox units: 840 for the week, about the width of the admin card in CSS
/// pixels, so the 12-unit text reads at about its size.
const COL: f64 = 5.0;
/// Room for the y labels, the legend and the day labels around the plot.
const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 30.0;
const PLOT_H: f64 = 180.0;
const BOTTOM: f64 = 26.0;
const HOUR: i64 = 3600;

// The light theme's colours (static/style.css), for a page without the stylesheet.
const OK: &str = "#1d4ed8";
const FAIL: &str = "#b91c1c";
const GAP: &str = "#fff";
const GRID: &str = "#d1d5db";
const AXIS: &str = "#1a1a1a";
const LABEL: &str = "#4b5563";

/// One row of the table beside the chart: an hour with any sign-in or failure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChartRow {
    /// `Mon 13 May 14:00` (UTC).
    pub hour: String,
    pub succeeded: i64,
    pub failed: i64,
}

/// The hours with any sign-in or failure, oldest first (the others are zero).
pub fn table_rows(s: &HourlySignIns) -> Vec<ChartRow> {
    hours(s)
        .filter(|&(_, ok, bad)| ok + bad > 0)
        .map(|(t, ok, bad)| ChartRow {
            hour: hour_label(t),
            succeeded: ok,
            failed: bad,
        })
        .collect()
}

/// The chart as an `<svg>` element.
pub fn sign_in_chart(s: &HourlySignIns) -> String {
    let n = s.succeeded.len().min(s.failed.len());
    let width = LEFT + n as f64 * COL + RIGHT;
    let height = TOP + PLOT_H + BOTTOM;
    let base = TOP + PLOT_H;
    let busiest = hours(s).map(|(_, ok, bad)| ok + bad).max().unwrap_or(0);
    let step = tick_step(busiest);
    let scale = PLOT_H / (4 * step) as f64;
    let end = s.from + n as i64 * HOUR;

    let mut o = String::with_capacity(16 * 1024);
    let _ = write!(
        o,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-labelledby="sign-in-chart-title sign-in-chart-desc" font-size="12">"#,
        w = num(width),
        h = num(height)
    );
    let _ = write!(
        o,
        r#"<title id="sign-in-chart-title">Sign-ins and failed sign-ins per hour, last 7 days</title><desc id="sign-in-chart-desc">{}</desc>"#,
        describe(s)
    );
    // Stripes across the whole plot (user space), so stacked failures read as one band.
    let _ = write!(
        o,
        r#"<defs><pattern id="sign-in-chart-stripes" width="6" height="3" patternUnits="userSpaceOnUse"><rect class="chart-gap" width="6" height="3" fill="{GAP}"/><rect class="chart-fail" width="6" height="2" fill="{FAIL}"/></pattern></defs>"#
    );
    // Legend.
    let _ = write!(
        o,
        r#"<g class="chart-label" fill="{LABEL}"><rect class="chart-ok" x="{x0}" y="6" width="12" height="12" fill="{OK}"/><text x="{t0}" y="16">Sign-ins</text><rect class="chart-fail-edge" x="{x1}" y="6" width="12" height="12" fill="url(#sign-in-chart-stripes)" stroke="{FAIL}"/><text x="{t1}" y="16">Failed sign-ins</text></g>"#,
        x0 = num(LEFT),
        t0 = num(LEFT + 16.0),
        x1 = num(LEFT + 100.0),
        t1 = num(LEFT + 116.0),
    );
    // Gridlines and their counts.
    for k in 0..=4 {
        let y = base - (k * step) as f64 * scale;
        let (class, colour) = if k == 0 {
            ("chart-axis", AXIS)
        } else {
            ("chart-grid", GRID)
        };
        let _ = write!(
            o,
            r#"<line class="{class}" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="0.5"/><text class="chart-label" x="{tx}" y="{ty}" text-anchor="end" fill="{LABEL}">{v}</text>"#,
            x1 = num(LEFT),
            x2 = num(width - RIGHT),
            y = num(y),
            tx = num(LEFT - 4.0),
            ty = num(y + 4.0),
            v = k * step,
        );
    }
    // Midnights, and each day's name under the part of it the chart shows (when there is room).
    let mut day = s.from.div_euclid(86_400) * 86_400;
    while day < end {
        let next = day + 86_400;
        if day > s.from {
            let x = LEFT + ((day - s.from) / HOUR) as f64 * COL;
            let _ = write!(
                o,
                r#"<line class="chart-axis" x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{AXIS}" stroke-width="0.5"/>"#,
                x = num(x),
                y1 = num(base),
                y2 = num(base + 5.0),
            );
        }
        let (a, b) = (day.max(s.from), next.min(end));
        if b - a >= 12 * HOUR {
            let mid = LEFT + ((a + b) / 2 - s.from) as f64 / HOUR as f64 * COL;
            let _ = write!(
                o,
                r#"<text class="chart-label" x="{x}" y="{y}" text-anchor="middle" fill="{LABEL}">{label}</text>"#,
                x = num(mid),
                y = num(base + 18.0),
                label = day_label(day),
            );
        }
        day = next;
    }
    if busiest == 0 {
        let _ = write!(
            o,
            r#"<text class="chart-label" x="{x}" y="{y}" text-anchor="middle" fill="{LABEL}">No sign-ins in the last 7 days</text>"#,
            x = num(LEFT + n as f64 * COL / 2.0),
            y = num(TOP + PLOT_H / 2.0),
        );
    }
    for (i, (t, ok, bad)) in hours(s).enumerate() {
        if ok + bad == 0 {
            continue;
        }
        let x = num(LEFT + i as f64 * COL + 0.5);
        let w = num(COL - 1.0);
        let (ok_h, bad_h) = (ok as f64 * scale, bad as f64 * scale);
        let _ = write!(
            o,
            "<g><title>{} UTC: {}, {}</title>",
            hour_label(t),
            count(ok, "sign-in"),
            count(bad, "failed sign-in")
        );
        if ok > 0 {
            let _ = write!(
                o,
                r#"<rect class="chart-ok" x="{x}" y="{y}" width="{w}" height="{h}" fill="{OK}"/>"#,
                y = num(base - ok_h),
                h = num(ok_h),
            );
        }
        if bad > 0 {
            let _ = write!(
                o,
                r#"<rect class="chart-fail-bar" x="{x}" y="{y}" width="{w}" height="{h}" fill="url(#sign-in-chart-stripes)"/>"#,
                y = num(base - ok_h - bad_h),
                h = num(bad_h),
            );
        }
        o.push_str("</g>");
    }
    o.push_str("</svg>");
    o
}

/// `(start of the hour, sign-ins, failures)` for each hour.
fn hours(s: &HourlySignIns) -> impl Iterator<Item = (i64, i64, i64)> + '_ {
    s.succeeded
        .iter()
        .zip(&s.failed)
        .enumerate()
        .map(|(i, (&ok, &bad))| (s.from + i as i64 * HOUR, ok, bad))
}

/// The totals, the span and the busiest hour, in one sentence or two.
fn describe(s: &HourlySignIns) -> String {
    let n = s.succeeded.len().min(s.failed.len()) as i64;
    let span = format!(
        "{} to {} UTC",
        hour_label(s.from),
        hour_label(s.from + n * HOUR)
    );
    let (ok, bad) = (s.total_succeeded(), s.total_failed());
    if ok + bad == 0 {
        return format!("No sign-ins and no failed sign-ins in the last 7 days ({span}).");
    }
    let mut d = format!(
        "{} and {} in the last 7 days ({span}).",
        count(ok, "sign-in"),
        count(bad, "failed sign-in")
    );
    // The first of the busiest hours.
    if let Some((t, o, b)) = hours(s).fold(None, |best: Option<(i64, i64, i64)>, h| match best {
        Some(x) if x.1 + x.2 >= h.1 + h.2 => Some(x),
        _ => Some(h),
    }) {
        let _ = write!(
            d,
            " The busiest hour, {} UTC, had {} and {}.",
            hour_label(t),
            count(o, "sign-in"),
            count(b, "failed sign-in")
        );
    }
    d
}

/// The gridline step: 1, 2 or 5 times a power of ten, so that four steps reach `max`.
fn tick_step(max: i64) -> i64 {
    let mut p = 1i64;
    loop {
        for m in [1, 2, 5] {
            if 4 * m * p >= max {
                return m * p;
            }
        }
        p = p.saturating_mul(10);
    }
}

/// `Mon 13`: short enough for the 120 units of a day.
fn day_label(t: i64) -> String {
    let Ok(d) = time::OffsetDateTime::from_unix_timestamp(t) else {
        return String::new();
    };
    format!("{} {}", &d.weekday().to_string()[..3], d.day())
}

/// `Mon 13 May 14:00` (UTC).
fn hour_label(t: i64) -> String {
    let Ok(d) = time::OffsetDateTime::from_unix_timestamp(t) else {
        return t.to_string();
    };
    let (wd, m) = (d.weekday().to_string(), d.month().to_string());
    format!("{} {} {} {:02}:00", &wd[..3], d.day(), &m[..3], d.hour())
}

/// `1 sign-in`, `3 sign-ins`.
fn count(n: i64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// A coordinate with at most two decimals, without trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests;

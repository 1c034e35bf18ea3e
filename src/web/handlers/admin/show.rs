//! Times, spans and rows as the dashboard, keys and sessions pages show them.

use crate::oidc::admin::dashboard::{KeyAge, ThrottleBlock};
use crate::web::handlers::account::show_time;
use crate::web::templates::{KeyAgeView, ThrottleView};

/// `45 seconds`, `12 minutes`, `5 hours`, `12 days`: the largest unit that fits (hours up to
/// two days, so "30 hours" stays more telling than "1 day").
pub(super) fn span(secs: i64) -> String {
    let secs = secs.max(0);
    let (n, unit) = match secs {
        s if s < 60 => (s, "second"),
        s if s < 3_600 => (s / 60, "minute"),
        s if s < 2 * 86_400 => (s / 3_600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

pub(super) fn key_age(k: &KeyAge, now: i64) -> KeyAgeView {
    let left = k.next_change_at - now;
    let next_change = match (k.active, left > 0) {
        (true, true) => format!("replaced in {}", span(left)),
        // The upkeep replaces it within a minute while the server runs.
        (true, false) => "due for replacement now".to_owned(),
        (false, true) => format!("leaves /jwks in {}", span(left)),
        (false, false) => "leaves /jwks now".to_owned(),
    };
    KeyAgeView {
        kid: k.kid.clone(),
        alg: k.alg.to_owned(),
        state: if k.active { "active" } else { "retired" }.to_owned(),
        created: show_time(k.created_at),
        age: span(k.age_secs),
        next_change,
    }
}

pub(super) fn throttle_block(b: &ThrottleBlock) -> ThrottleView {
    ThrottleView {
        at: show_time(b.at),
        what: b.what.to_owned(),
        who: b.who.clone().unwrap_or_default(),
        ip: b.ip.clone().unwrap_or_default(),
        wait: b.wait_secs.map(span).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_the_largest_unit_that_fits() {
        assert_eq!(span(1), "1 second");
        assert_eq!(span(59), "59 seconds");
        assert_eq!(span(60), "1 minute");
        assert_eq!(span(30 * 3_600), "30 hours");
        assert_eq!(span(90 * 86_400 + 5), "90 days");
        assert_eq!(span(-5), "0 seconds");
    }
}

//! Durations people type: `90s`, `30m`, `12h`, `90d`.

use super::ParseError;

/// Seconds in `N` followed by `s`, `m`, `h` or `d` (a whole number, at most 100 years).
pub fn parse_duration_secs(s: &str) -> Result<i64, ParseError> {
    let bad = || {
        ParseError::new(format!(
            "{s:?} is not a duration: use a number and a unit, like 90s, 30m, 12h or 90d"
        ))
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_secs)
        .filter(|secs| *secs <= 100 * 365 * 86_400)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::parse_duration_secs;

    #[test]
    fn durations_are_a_whole_number_and_one_unit() {
        assert_eq!(parse_duration_secs("90s"), Ok(90));
        assert_eq!(parse_duration_secs("30m"), Ok(1800));
        assert_eq!(parse_duration_secs("12h"), Ok(43_200));
        assert_eq!(parse_duration_secs("90d"), Ok(90 * 86_400));
        for bad in [
            "",
            "d",
            "90",
            "1.5h",
            "-1d",
            "90 d",
            "3w",
            "99999999999999999999d",
        ] {
            assert!(parse_duration_secs(bad).is_err(), "{bad:?}");
        }
    }
}

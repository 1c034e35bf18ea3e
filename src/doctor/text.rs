//! Wording shared by the checks: durations, counts, lists of names and shell words.

use std::fmt::Write as _;
use std::path::Path;

pub(super) const DAY: i64 = 86_400;
/// How many names a finding lists before "and N more".
const NAMES_SHOWN: usize = 10;

/// `7200 (2 hours)`.
pub(super) fn secs(n: i64) -> String {
    let human = if n % DAY == 0 {
        plural(n / DAY, "day")
    } else if n % 3600 == 0 {
        plural(n / 3600, "hour")
    } else if n % 60 == 0 {
        plural(n / 60, "minute")
    } else {
        plural(n, "second")
    };
    format!("{n} ({human})")
}

pub(super) fn plural(n: i64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// A path as a shell word, ready to paste.
pub(super) fn sh(p: &Path) -> String {
    sh_word(&p.display().to_string())
}

/// A word for the shell, quoted only when needed.
pub fn sh_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,=".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Up to ten names, then "and N more".
pub(super) fn names(list: &[String]) -> String {
    let mut s = list
        .iter()
        .take(NAMES_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > NAMES_SHOWN {
        let _ = write!(s, " and {} more", list.len() - NAMES_SHOWN);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(sh(Path::new("/var/lib/latchkey")), "/var/lib/latchkey");
        assert_eq!(sh(Path::new("/tmp/my data")), "'/tmp/my data'");
        assert_eq!(sh(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(secs(7200), "7200 (2 hours)");
        assert_eq!(secs(86_400), "86400 (1 day)");
        assert_eq!(secs(90), "90 (90 seconds)");
    }

    #[test]
    fn long_name_lists_are_cut_after_ten() {
        let list: Vec<String> = (1..=12).map(|i| format!("u{i}")).collect();
        assert_eq!(names(&list[..2]), "u1, u2");
        assert_eq!(
            names(&list),
            "u1, u2, u3, u4, u5, u6, u7, u8, u9, u10 and 2 more"
        );
    }
}

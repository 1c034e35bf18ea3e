//! Text from outside (typed usernames, stored audit fields) made safe to print: no character
//! that could end a line, move the cursor, recolour a terminal or reorder what is shown.

use std::borrow::Cow;

/// Characters that never reach a terminal or a log line as they are: C0 controls (ESC, CR, LF,
/// tab, ...), DEL, C1 controls (all three are `char::is_control`), the Unicode line and paragraph
/// separators, bidi marks, embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069),
/// and invisible format characters (zero-width spaces and joiners, the BOM).
pub fn is_unsafe_to_print(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'                  // Arabic letter mark
                | '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
                | '\u{2028}'..='\u{202E}' // line and paragraph separators, embeddings, overrides
                | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, isolates
                | '\u{FEFF}'              // zero-width no-break space
                | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        )
}

/// `s` with every character for which `escape` holds written as `\u{HEX}` (ESC is `\u{1b}`).
/// Borrowed when nothing needed escaping.
pub fn escape_chars(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        push_char(&mut out, c, &escape);
    }
    Cow::Owned(out)
}

/// Append `c` to `out`, as `\u{HEX}` when `escape` holds for it.
pub fn push_char(out: &mut String, c: char, escape: impl Fn(char) -> bool) {
    if escape(c) {
        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
    } else {
        out.push(c);
    }
}

/// `s` ready for a terminal or a log line: every [`is_unsafe_to_print`] character as `\u{HEX}`.
/// Backslashes stay as they are (the point is that nothing is *interpreted*, not that every
/// escape can be undone).
pub fn escape_unsafe(s: &str) -> Cow<'_, str> {
    escape_chars(s, is_unsafe_to_print)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_escaped() {
        let s = "a\nb\rc\td\u{1b}[31me\u{7f}f\u{85}g\u{9b}h\u{202e}i\u{2066}j\u{2069}k\u{2028}";
        assert_eq!(
            escape_unsafe(s),
            "a\\u{a}b\\u{d}c\\u{9}d\\u{1b}[31me\\u{7f}f\\u{85}g\\u{9b}h\\u{202e}i\\u{2066}j\\u{2069}k\\u{2028}"
        );
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            assert!(is_unsafe_to_print(c), "{:x}", u32::from(c));
        }
    }

    #[test]
    fn printable_text_is_borrowed_unchanged() {
        for s in [
            "alice",
            "{\"scope\":\"openid profile\"}",
            "ålice \\u{a}",
            "",
        ] {
            assert!(matches!(escape_unsafe(s), Cow::Borrowed(b) if b == s));
        }
    }
}

//! Checks shared by the fuzz targets (`fuzz_targets/`, through `latchkey_fuzz`) and the
//! property tests (`tests/properties.rs` includes this file with `#[path]`): one copy of each
//! predicate. They panic on a broken promise; proptest reports a panic as a failing case.
//! Only `latchkey` and `url` are used here, dependencies of both crates.

use latchkey::domain::{
    ClientId, CodeChallenge, CodeVerifier, Email, GrantType, RedirectUri, ScopeSet, Username,
    check_password,
};
use latchkey::oidc::params::Params;

/// RFC 6749 error descriptions: %x20-21 / %x23-5B / %x5D-7E only (no quote, no backslash).
pub fn description_is_safe(d: &str) -> bool {
    d.chars()
        .all(|c| c == ' ' || c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))
}

/// application/x-www-form-urlencoded encoding of one value.
pub fn form(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every domain parser on one string: never panics, and what it accepts keeps its promises.
pub fn check_domain(s: &str) {
    if let Ok(v) = ClientId::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!((1..=128).contains(&s.len()), "client id length: {s:?}");
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_~".contains(&b))
        );
    }
    if let Ok(v) = Username::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!((1..=64).contains(&s.len()));
        assert!(s.is_ascii() && !s.contains(char::is_whitespace));
    }
    if let Ok(v) = Email::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!(s.contains('@') && s.len() <= 254);
        let (local, domain) = s.rsplit_once('@').expect("an email has an @");
        assert!(!local.is_empty() && !domain.is_empty());
        assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
    }
    if let Ok(v) = RedirectUri::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!(
            !s.contains('#'),
            "redirect URI with a fragment accepted: {s:?}"
        );
        let u = url::Url::parse(s).expect("an accepted redirect URI is a URL");
        assert!(u.username().is_empty() && u.password().is_none());
        match u.scheme() {
            "https" => assert!(u.host_str().is_some_and(|h| !h.is_empty())),
            "http" => assert!(
                matches!(u.host_str(), Some("localhost" | "[::1]"))
                    || u.host_str().is_some_and(|h| h.starts_with("127.")),
                "plain http to a non-loopback host accepted: {s:?}"
            ),
            other => assert!(other.contains('.'), "scheme {other:?} accepted"),
        }
    }
    if let Ok(set) = ScopeSet::parse(s) {
        let shown = set.to_string();
        let again = ScopeSet::parse(&shown).expect("a displayed scope set parses");
        assert_eq!(again, set, "scope set display is not canonical for {s:?}");
        assert_eq!(again.to_string(), shown);
    }
    if CodeVerifier::parse(s).is_ok() {
        assert!((43..=128).contains(&s.len()));
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        );
    }
    if let Ok(c) = CodeChallenge::parse(s) {
        assert_eq!(c.as_str().len(), 43);
        if let Ok(v) = CodeVerifier::parse(s) {
            // A challenge is a hash; a string equal to its own hash would be a SHA-256 fixpoint.
            assert!(
                !c.matches(&v),
                "verifier matches itself as a challenge: {s:?}"
            );
        }
    }
    if let Ok(g) = GrantType::parse(s) {
        assert_eq!(g.as_str(), s);
    }
    if check_password(s).is_ok() {
        assert!(s.chars().count() >= 8 && s.len() <= 1024);
    }
}

/// A CSP source expression for an origin (CSP 3 `host-source` / `scheme-source`). Anything else
/// in a `form-action` list rewrites the policy: `;` ends the directive, `,` starts another
/// policy, `'` quotes a keyword.
pub fn is_csp_source(origin: &str) -> bool {
    let scheme_ok = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    };
    if let Some(scheme) = origin.strip_suffix(':') {
        return scheme_ok(scheme);
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let (host, port) = if rest.starts_with('[') {
        match rest.find(']') {
            Some(end) => (&rest[..=end], rest[end + 1..].strip_prefix(':')),
            None => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if rest.len() > host.len() && port.is_none() {
        return false;
    }
    let host_ok = if let Some(ip6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !ip6.is_empty()
            && ip6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        // (a fully qualified name may end in a dot)
        let host = host.strip_suffix('.').unwrap_or(host);
        !host.is_empty()
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    scheme_ok(scheme)
        && host_ok
        && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The origin of an accepted redirect URI goes into the CSP `form-action` of the login and
/// consent pages, so it must be a CSP source expression.
pub fn check_redirect_origin(s: &str) {
    if RedirectUri::parse(s).is_ok()
        && let Some(origin) = latchkey::web::headers::origin_of(s)
    {
        assert!(
            is_csp_source(&origin),
            "redirect URI {s:?} accepted; its origin {origin:?} is no CSP source expression"
        );
    }
}

/// Params never holds an empty value and agrees with itself about repeats.
pub fn check_params(p: &Params, keys: &[&str]) {
    for k in keys {
        if let Some(v) = p.get(k) {
            assert!(!v.is_empty(), "empty value kept for {k}");
        }
        if p.is_repeated(k) {
            assert!(p.get(k).is_some(), "{k} repeated but absent");
            assert!(p.first_repeated().is_some());
        }
    }
    if p.first_repeated().is_none() {
        assert!(keys.iter().all(|k| !p.is_repeated(k)));
    }
}

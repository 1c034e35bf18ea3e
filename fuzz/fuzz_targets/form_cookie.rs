//! Form and cookie parsing: `Params::parse` of a form body, every domain parser
//! (RedirectUri, ScopeSet, CodeVerifier/CodeChallenge, Email, Username, ClientId, GrantType,
//! the password policy), the `claims` parameter, CSP origins, and our cookies and CSRF check
//! on a request with arbitrary Cookie, Origin and Sec-Fetch-Site headers.
#![no_main]

use actix_web::http::header::HeaderValue;
use actix_web::test::TestRequest;
use arbitrary::Arbitrary;
use latchkey::oidc::claims::{Target, requested_names};
use latchkey::oidc::params::Params;
use latchkey::oidc::scopes::CLAIMS_SUPPORTED;
use latchkey::web::{cookies, csrf, headers};
use latchkey_fuzz::{KEYS, check_domain, check_params, check_redirect_origin, fixture};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    form: &'a str,
    value: &'a str,
    cookie: &'a [u8],
    origin: Option<&'a [u8]>,
    fetch_site: Option<&'a [u8]>,
    https: bool,
}

fuzz_target!(|input: Input<'_>| {
    let f = fixture();
    let p = Params::parse(input.form);
    check_params(&p, KEYS);
    for k in KEYS {
        if let Some(v) = p.get(k) {
            check_domain(v);
        }
    }
    check_domain(input.value);
    for target in [Target::IdToken, Target::UserInfo] {
        let names = requested_names(Some(input.value), target);
        assert!(names.iter().all(|n| CLAIMS_SUPPORTED.contains(&n.as_str())));
    }
    let _ = headers::origin_of(input.value);
    check_redirect_origin(input.value);
    if let Some(uri) = p.get("redirect_uri") {
        check_redirect_origin(uri);
    }

    let settings = if input.https {
        &f.https_settings
    } else {
        &f.settings
    };
    let mut req = TestRequest::default();
    let mut ok_header = |name: &'static str, bytes: &[u8]| match HeaderValue::from_bytes(bytes) {
        Ok(v) => {
            req = std::mem::take(&mut req).insert_header((name, v));
            true
        }
        Err(_) => false,
    };
    if !ok_header("cookie", input.cookie) {
        return;
    }
    if let Some(o) = input.origin
        && !ok_header("origin", o)
    {
        return;
    }
    if let Some(s) = input.fetch_site
        && !ok_header("sec-fetch-site", s)
    {
        return;
    }
    let req = req.to_http_request();
    let session = cookies::read(&req, settings, cookies::SESSION);
    let token = cookies::read(&req, settings, cookies::CSRF);
    let submitted = p.get("csrf");
    if csrf::verify(&req, settings, submitted) {
        let t = token.expect("CSRF passed without a cookie");
        assert_eq!(t.len(), 43);
        assert_eq!(Some(t.as_str()), submitted);
        assert!(
            !input
                .fetch_site
                .is_some_and(|s| s == b"cross-site" || s == b"same-site"),
            "a cross-site POST passed the CSRF check"
        );
    }
    let (form_token, set_cookie) = csrf::token_for_form(&req, settings);
    assert_eq!(form_token.len(), 43);
    if let Some(c) = set_cookie {
        assert_eq!(c.value(), form_token);
        assert!(c.http_only().unwrap_or(false));
    }
    let _ = session;
});

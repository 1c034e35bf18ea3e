//! Property tests: the inputs of the fuzz targets in `fuzz/` (see `scripts/fuzz`), as a quick
//! proptest subset that runs with `cargo test`. Parsers and checks get arbitrary and
//! near-valid input; none may panic, and what they accept keeps its promises.
//!
//! Each property runs a fixed number of cases (kept small so the whole file takes a few
//! seconds); `PROPTEST_CASES=N` runs N cases of each instead.

// One copy of the predicates the fuzz targets check too (see fuzz/src/predicates.rs).
#[path = "../fuzz/src/predicates.rs"]
mod predicates;
use predicates::*;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use latchkey::config::{Settings, Sources};
use latchkey::crypto::jwt::{self, JwtError};
use latchkey::crypto::keys::{self, Alg, KeyRing};
use latchkey::crypto::random;
use latchkey::domain::{CodeChallenge, CodeVerifier, RedirectUri, ScopeSet};
use latchkey::oidc::authorize::{self, AuthRequest, Rejection, Reply};
use latchkey::oidc::client_auth::{self, AuthMethod};
use latchkey::oidc::error::ErrorCode;
use latchkey::oidc::params::Params;
use latchkey::oidc::signed_tokens::{ACCESS_TOKEN_TYP, ID_TOKEN_TYP};
use latchkey::store::{Store, clients};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const NOW: i64 = 1_700_000_000;
const ISSUER: &str = "http://localhost:8080";

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// One key per algorithm, generated once for the whole file.
fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let mats: Vec<_> = Alg::ALL
            .iter()
            .map(|a| keys::generate(*a, NOW).expect("generate key"))
            .collect();
        KeyRing::load(&mats).expect("load keys")
    })
}

/// A second ring whose keys are not ours.
fn foreign_ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let mats: Vec<_> = Alg::ALL
            .iter()
            .map(|a| keys::generate(*a, NOW).expect("generate key"))
            .collect();
        KeyRing::load(&mats).expect("load keys")
    })
}

fn settings() -> &'static Settings {
    static S: OnceLock<Settings> = OnceLock::new();
    S.get_or_init(|| {
        Settings::load(&Sources {
            config_file: None,
            env: vec![],
            flags: vec![("issuer", ISSUER.into())],
        })
        .expect("settings")
    })
}

/// Valid tokens: for every algorithm an ID token (`JWT`) and an access token (`at+jwt`).
fn valid_tokens() -> &'static Vec<(String, &'static str)> {
    static T: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v = Vec::new();
        for alg in Alg::ALL {
            for typ in [ID_TOKEN_TYP, ACCESS_TOKEN_TYP] {
                let mut c = Map::new();
                c.insert("iss".into(), ISSUER.into());
                c.insert("sub".into(), "sub-alice".into());
                c.insert("aud".into(), "app".into());
                c.insert("exp".into(), (NOW + 600).into());
                v.push((jwt::sign(ring(), alg, typ, c).expect("sign"), typ));
            }
        }
        v
    })
}

const REDIRECTS: &[&str] = &[
    "https://app.example/cb",
    "https://app.example/cb?x=1",
    "http://127.0.0.1:8080/cb",
    "com.example.app:/oauth",
];
const SECRET: &str = "prop-secret-0123456789";

/// A store in a temporary directory with a public and a confidential client.
fn store_with_clients() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("latchkey.db")).expect("open store");
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let redirects = s(REDIRECTS);
    let scopes = s(&["openid", "profile", "email", "offline_access"]);
    let grants = s(&["authorization_code", "refresh_token"]);
    let hash = random::hash_token(SECRET);
    store
        .write(|c| -> latchkey::store::Result<()> {
            for (id, secret, pkce) in [("app", None, true), ("conf", Some(hash.as_str()), false)] {
                clients::insert_client(
                    c,
                    &clients::NewClient {
                        client_id: id,
                        name: id,
                        secret_hash: secret,
                        grant_types: &grants,
                        scopes: &scopes,
                        skip_consent: false,
                        require_pkce: pkce,
                        id_token_alg: "RS256",
                        backchannel_logout_uri: None,
                        redirect_uris: &redirects,
                        post_logout_redirect_uris: &[],
                        web_origins: &[],
                    },
                    NOW,
                )?;
            }
            Ok(())
        })
        .expect("insert clients");
    (dir, store)
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Strategies

/// Text that looks like a form body: keys, `=`, `&`, `+`, percent escapes (good and bad).
fn form_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            select(vec![
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "code",
                "grant_type",
                "code_verifier",
                "client_secret",
            ])
            .prop_map(str::to_owned),
            Just("=".to_owned()),
            Just("&".to_owned()),
            Just("+".to_owned()),
            "%[0-9A-Fa-f]{2}",
            "%[^0-9A-Fa-f]{0,2}",
            ".{0,6}",
        ],
        0..16,
    )
    .prop_map(|v| v.concat())
}

/// Strings near the domain types' edges: URLs, emails, scope lists, PKCE-like runs.
fn domainish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(https?|com\\.ex\\.app|javascript|HTTP|data)://?[a-zA-Z0-9.@:\\[\\]#?/%_~-]{0,30}",
        "https://[a-z0-9.-]{0,12}(:[0-9]{1,5})?/[a-z/?=&#%]{0,16}",
        "http://(localhost|127\\.0\\.0\\.1|\\[::1\\]|0x7f000001|127\\.1|LOCALHOST|localhost\\.|example\\.com)(:[0-9]{1,5})?/[a-z]{0,6}",
        "[a-zA-Z0-9.+_-]{0,10}@[a-zA-Z0-9.-]{0,12}",
        "[ -~]{0,40}",
        "[A-Za-z0-9._~+/=-]{40,130}",
    ]
}

// ---------------------------------------------------------------------------------------------
// Params

/// The parameters the Params properties look at.
const PARAM_KEYS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code",
    "grant_type",
    "code_verifier",
    "client_secret",
];

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn params_parse_never_panics_on_any_text(s in any::<String>()) {
        check_params(&Params::parse(&s), PARAM_KEYS);
    }

    #[test]
    fn params_parse_never_panics_on_any_bytes(b in prop::collection::vec(any::<u8>(), 0..200)) {
        check_params(&Params::parse(&String::from_utf8_lossy(&b)), PARAM_KEYS);
    }

    #[test]
    fn params_parse_never_panics_on_form_like_text(s in form_like()) {
        check_params(&Params::parse(&s), PARAM_KEYS);
    }

    #[test]
    fn params_round_trip_every_distinct_non_empty_pair(
        pairs in prop::collection::btree_map("[a-z_]{1,12}", ".{1,30}", 0..8)
    ) {
        let encoded = serde_urlencoded::to_string(&pairs).expect("encode");
        let p = Params::parse(&encoded);
        for (k, v) in &pairs {
            prop_assert_eq!(p.get(k), Some(v.as_str()));
            prop_assert!(!p.is_repeated(k));
        }
        prop_assert_eq!(p.first_repeated(), None);
    }

    #[test]
    fn a_repeated_parameter_is_noticed_and_the_first_value_kept(
        key in "[a-z_]{1,12}", a in ".{1,20}", b in ".{1,20}", other in ".{0,20}"
    ) {
        let body = format!("{k}={}&other={}&{k}={}", form(&a), form(&other), form(&b), k = key);
        let p = Params::parse(&body);
        prop_assert_eq!(p.get(&key), Some(a.as_str()));
        prop_assert!(p.is_repeated(&key));
        prop_assert_eq!(p.first_repeated(), Some(key.as_str()));
    }
}

// ---------------------------------------------------------------------------------------------
// Domain parsers

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn domain_parsers_never_panic_and_keep_their_promises(s in domainish()) {
        check_domain(&s);
    }

    #[test]
    fn domain_parsers_never_panic_on_any_bytes(b in prop::collection::vec(any::<u8>(), 0..300)) {
        check_domain(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn scope_set_display_is_sorted_deduplicated_and_reparses(
        tokens in prop::collection::vec("[!#-\\[\\]-~]{1,10}", 0..6),
        gaps in prop::collection::vec(1usize..4, 6),
    ) {
        let mut text = String::new();
        for (i, t) in tokens.iter().enumerate() {
            text.push_str(&" ".repeat(gaps[i % gaps.len()]));
            text.push_str(t);
        }
        let set = ScopeSet::parse(&text).expect("valid scope tokens parse");
        let mut expected: Vec<&str> = tokens.iter().map(String::as_str).collect();
        expected.sort_unstable();
        expected.dedup();
        prop_assert_eq!(set.to_string(), expected.join(" "));
        prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set.clone());
        for t in &tokens {
            prop_assert!(set.contains(t));
        }
    }

    #[test]
    fn a_scope_with_a_quote_backslash_or_control_character_is_refused(
        a in "[a-z]{0,5}", bad in select(vec!['"', '\\', '\u{7f}', '\t', '\u{e9}']), b in "[a-z]{0,5}"
    ) {
        let text = format!("openid {a}{bad}{b}");
        prop_assert!(ScopeSet::parse(&text).is_err(), "accepted {:?}", text);
    }

    #[test]
    fn a_pkce_verifier_matches_its_own_s256_challenge_and_no_other(
        v in "[A-Za-z0-9._~-]{43,128}", w in "[A-Za-z0-9._~-]{43,128}"
    ) {
        let verifier = CodeVerifier::parse(&v).expect("verifier in range parses");
        let challenge = CodeChallenge::parse(&s256(&v)).expect("an S256 challenge parses");
        prop_assert!(challenge.matches(&verifier));
        if v != w {
            prop_assert!(!challenge.matches(&CodeVerifier::parse(&w).unwrap()));
        }
        // A plain challenge (the verifier itself) is never accepted as S256.
        if let Ok(plain) = CodeChallenge::parse(&v) {
            prop_assert!(!plain.matches(&verifier));
        }
    }

    #[test]
    fn a_pkce_verifier_outside_43_to_128_characters_is_refused(
        v in prop_oneof!["[A-Za-z0-9._~-]{0,42}", "[A-Za-z0-9._~-]{129,200}"]
    ) {
        prop_assert!(CodeVerifier::parse(&v).is_err());
    }
}

#[test]
fn a_generated_random_token_is_a_pkce_verifier_matching_its_own_s256_challenge() {
    for _ in 0..64 {
        let v = random::token();
        let verifier = CodeVerifier::parse(&v).expect("a generated token is a valid verifier");
        let challenge = CodeChallenge::parse(&s256(&v)).expect("its S256 challenge parses");
        assert!(challenge.matches(&verifier));
    }
}

// ---------------------------------------------------------------------------------------------
// Redirects

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn redirect_url_keeps_the_query_and_appends_parameters_that_decode_back(
        host in "[a-z]{1,10}\\.example",
        path in "(/[a-z0-9]{0,8}){0,3}",
        query in prop::collection::vec(("[a-z]{1,5}", "[a-zA-Z0-9]{0,5}"), 0..3),
        code in any::<String>(),
        state in prop::option::of(any::<String>()),
    ) {
        let mut uri = format!("https://{host}{path}");
        if !query.is_empty() {
            let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            uri = format!("{uri}?{}", q.join("&"));
        }
        prop_assert!(RedirectUri::parse(&uri).is_ok(), "{}", uri);
        let reply = Reply { redirect_uri: uri.clone(), response_mode: authorize::ResponseMode::Query, state: state.clone() };
        let url = authorize::redirect_url(&uri, &authorize::success_params(&code, &reply, ISSUER));
        prop_assert!(url.starts_with(&uri));
        let parsed = url::Url::parse(&url).expect("the redirect is a URL");
        prop_assert_eq!(parsed.host_str(), Some(host.as_str()));
        prop_assert_eq!(parsed.fragment(), None);
        let got: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let mut want: Vec<(String, String)> = query.clone();
        want.push(("code".into(), code.clone()));
        if let Some(s) = &state {
            want.push(("state".into(), s.clone()));
        }
        want.push(("iss".into(), ISSUER.into()));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn redirect_url_to_a_registered_uri_decodes_back_for_any_error_and_state(
        uri in select(REDIRECTS.to_vec()),
        description in any::<String>(),
        state in any::<String>(),
    ) {
        let reply = Reply { redirect_uri: uri.to_owned(), response_mode: authorize::ResponseMode::Query, state: Some(state.clone()) };
        let err = latchkey::oidc::error::OAuthError::invalid_request(description);
        prop_assert!(description_is_safe(err.description()));
        let url = authorize::redirect_url(uri, &authorize::error_params(&err, &reply, ISSUER));
        prop_assert!(url.starts_with(uri));
        let parsed = url::Url::parse(&url).expect("the redirect is a URL");
        let got: BTreeMap<String, String> = parsed.query_pairs().into_owned().collect();
        prop_assert_eq!(got.get("error").map(String::as_str), Some("invalid_request"));
        prop_assert_eq!(got.get("error_description").map(String::as_str), Some(err.description()));
        prop_assert_eq!(got.get("state"), Some(&state));
    }
}

#[test]
fn csp_source_check_accepts_real_origins() {
    for o in [
        "https://app.example",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
        "https://xn--bcher-kva.example",
        "https://app.example.",
        "com.example.app:",
    ] {
        assert!(is_csp_source(o), "{o}");
    }
    for o in [
        "https://;",
        "https://a,b",
        "https://a'b",
        "https://a b",
        "https://a:",
        "x",
    ] {
        assert!(!is_csp_source(o), "{o}");
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Found by the form_cookie fuzz target: `RedirectUri::parse` accepts hosts such as `;`,
    /// `a,b` or `a'b`, and `origin_of` copies them into the `form-action` of the CSP header.
    #[test]
    fn an_accepted_redirect_uri_has_an_origin_that_is_a_valid_csp_source(
        uri in prop_oneof![
            "https://[a-z0-9;,'*!$&()+=`{}.-]{1,12}(:[0-9]{1,4})?/cb",
            "http://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]{1,4})?/cb",
            "[a-z]{1,5}\\.[a-z]{1,5}:/[a-z]{0,5}",
            domainish(),
        ]
    ) {
        check_redirect_origin(&uri);
    }
}

// ---------------------------------------------------------------------------------------------
// Client authentication at the token endpoint

fn authorization_header() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..60)
            .prop_map(|b| format!("Basic {}", STANDARD.encode(b))),
        (".{0,12}", ".{0,12}")
            .prop_map(|(i, s)| format!("basic  {}  ", STANDARD.encode(format!("{i}:{s}")))),
        "(Basic|Bearer|basic|BASIC) [A-Za-z0-9+/=%: ]{0,30}",
    ])
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn client_auth_extract_never_panics_and_refuses_with_client_errors(
        header in authorization_header(), body in prop_oneof![form_like(), any::<String>()]
    ) {
        let p = Params::parse(&body);
        match client_auth::extract(header.as_deref(), &p) {
            Ok(creds) => {
                prop_assert!(!creds.client_id.is_empty());
                prop_assert_eq!(creds.method == AuthMethod::Basic, header.is_some());
                if creds.method != AuthMethod::Basic {
                    prop_assert_eq!(Some(creds.client_id.as_str()), p.get("client_id"));
                    prop_assert_eq!(creds.secret.as_deref(), p.get("client_secret"));
                }
            }
            Err(e) => {
                prop_assert!(matches!(e.code, ErrorCode::InvalidRequest | ErrorCode::InvalidClient));
                prop_assert!(description_is_safe(e.description()));
            }
        }
    }

    #[test]
    fn client_secret_basic_round_trips_any_id_and_secret(id in ".{1,40}", secret in ".{0,40}") {
        let header = format!("Basic {}", STANDARD.encode(format!("{}:{}", form(&id), form(&secret))));
        let creds = client_auth::extract(Some(&header), &Params::default())
            .expect("well-formed Basic credentials are accepted");
        prop_assert_eq!(creds.method, AuthMethod::Basic);
        prop_assert_eq!(creds.client_id, id);
        prop_assert_eq!(creds.secret, Some(secret));
    }

    #[test]
    fn basic_and_a_body_secret_together_are_refused(id in "[a-z]{1,10}", a in "[a-z]{1,10}", b in "[a-z]{1,10}") {
        let header = format!("Basic {}", STANDARD.encode(format!("{id}:{a}")));
        let p = Params::parse(&format!("client_secret={b}"));
        let e = client_auth::extract(Some(&header), &p).unwrap_err();
        prop_assert_eq!(e.code, ErrorCode::InvalidRequest);
    }
}

#[test]
fn only_the_right_secret_authenticates_the_confidential_client() {
    let (_dir, store) = store_with_clients();
    let mut runner = proptest::test_runner::TestRunner::new(config(64));
    runner
        .run(&(".{0,30}", any::<bool>()), |(guess, basic)| {
            let p = if basic {
                Params::default()
            } else {
                Params::parse(&format!("client_id=conf&client_secret={}", form(&guess)))
            };
            let header = basic.then(|| {
                format!(
                    "Basic {}",
                    STANDARD.encode(format!("conf:{}", form(&guess)))
                )
            });
            let ok = client_auth::authenticate_request(&store, header.as_deref(), &p).is_ok();
            prop_assert_eq!(ok, guess == SECRET);
            Ok(())
        })
        .unwrap();
    for basic in [false, true] {
        let p = if basic {
            Params::default()
        } else {
            Params::parse(&format!("client_id=conf&client_secret={SECRET}"))
        };
        let header = basic.then(|| format!("Basic {}", STANDARD.encode(format!("conf:{SECRET}"))));
        assert!(client_auth::authenticate_request(&store, header.as_deref(), &p).is_ok());
    }
}

// ---------------------------------------------------------------------------------------------
// JWT verification

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

fn assert_refused(token: &str) -> Result<(), TestCaseError> {
    for typ in [ID_TOKEN_TYP, ACCESS_TOKEN_TYP] {
        let r = jwt::verify(ring(), token, &[typ]);
        prop_assert!(r.is_err(), "verified: {:?} -> {:?}", token, r);
    }
    prop_assert!(authorize::id_token_hint_subject(ring(), settings(), "app", token).is_none());
    Ok(())
}

/// One edit of a token: replace, insert or delete a character, or flip a bit.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    FlipBit(usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let ch = select(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n\u{0}é"
            .chars()
            .collect::<Vec<_>>(),
    );
    prop_oneof![
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), ch).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), 0u8..7).prop_map(|(i, b)| Edit::FlipBit(i, b)),
    ]
}

fn apply(token: &str, edits: &[Edit]) -> String {
    let mut t: Vec<char> = token.chars().collect();
    for e in edits {
        match *e {
            Edit::Replace(i, c) if !t.is_empty() => {
                let n = t.len();
                t[i % n] = c;
            }
            Edit::Insert(i, c) => t.insert(i % (t.len() + 1), c),
            Edit::Delete(i) if !t.is_empty() => {
                let n = t.len();
                t.remove(i % n);
            }
            Edit::FlipBit(i, b) if !t.is_empty() => {
                let n = t.len();
                let c = t[i % n] as u32 ^ (1 << b);
                t[i % n] = char::from_u32(c).unwrap_or('?');
            }
            _ => {}
        }
    }
    t.into_iter().collect()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn jwt_verify_never_panics_on_any_text(s in any::<String>()) {
        assert_refused(&s)?;
    }

    #[test]
    fn jwt_verify_never_panics_on_three_base64url_parts(
        h in "[A-Za-z0-9_-]{0,80}", p in "[A-Za-z0-9_-]{0,80}", s in "[A-Za-z0-9_=+/-]{0,90}"
    ) {
        assert_refused(&format!("{h}.{p}.{s}"))?;
    }

    #[test]
    fn a_forged_header_is_refused_whatever_it_names(
        alg in select(vec!["none", "None", "HS256", "HS512", "RS256", "ES256", "EdDSA", "PS256", "RS512", ""]),
        kid_pick in 0usize..5,
        typ in select(vec!["JWT", "at+jwt", "jwt", "AT+JWT", "", "JOSE"]),
        extra in prop::collection::btree_map("[a-z]{1,5}", any::<String>(), 0..3),
        payload in any::<String>(),
        sig in "[A-Za-z0-9_-]{0,90}",
    ) {
        let kids: Vec<String> = ring().keys().iter().map(|k| k.kid.clone()).collect();
        let kid = kids.get(kid_pick).cloned().unwrap_or_else(|| "unknown-kid".into());
        let mut header: Map<String, Value> = extra.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        header.insert("alg".into(), alg.into());
        header.insert("kid".into(), kid.into());
        header.insert("typ".into(), typ.into());
        let token = format!("{}.{}.{}", b64(&Value::Object(header).to_string()), b64(&payload), sig);
        assert_refused(&token)?;
    }

    #[test]
    fn any_edit_of_a_valid_token_is_refused(
        pick in 0usize..6,
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let (original, typ) = &valid_tokens()[pick % valid_tokens().len()];
        let altered = apply(original, &edits);
        if altered == *original {
            prop_assert!(jwt::verify(ring(), &altered, &[typ]).is_ok());
        } else {
            assert_refused(&altered)?;
        }
    }

    #[test]
    fn a_signed_token_verifies_with_its_claims_and_its_type_only(
        alg in select(Alg::ALL.to_vec()),
        // (registered claim names such as exp must be numbers; these are private ones)
        claims in prop::collection::btree_map("x_[a-z_]{1,8}", any::<String>(), 0..5),
    ) {
        let map: Map<String, Value> = claims.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        for typ in [ID_TOKEN_TYP, ACCESS_TOKEN_TYP] {
            let token = jwt::sign(ring(), alg, typ, map.clone()).expect("sign");
            prop_assert_eq!(jwt::verify(ring(), &token, &[typ]), Ok(map.clone()));
            let other = if typ == ID_TOKEN_TYP { ACCESS_TOKEN_TYP } else { ID_TOKEN_TYP };
            prop_assert_eq!(jwt::verify(ring(), &token, &[other]), Err(JwtError::WrongType));
            // The same token from someone else's key ring is not ours.
            let foreign = jwt::sign(foreign_ring(), alg, typ, map.clone()).expect("sign");
            prop_assert_eq!(jwt::verify(ring(), &foreign, &[typ]), Err(JwtError::UnknownKey));
        }
    }
}

#[test]
fn every_single_character_change_of_a_valid_token_is_refused() {
    for (original, _) in valid_tokens() {
        let chars: Vec<char> = original.chars().collect();
        for i in 0..chars.len() {
            for c in ['A', 'e', '_', '.'] {
                if chars[i] == c {
                    continue;
                }
                let mut t = chars.clone();
                t[i] = c;
                let t: String = t.into_iter().collect();
                assert!(
                    jwt::verify(ring(), &t, &[ID_TOKEN_TYP, ACCESS_TOKEN_TYP]).is_err(),
                    "position {i} -> {c:?} still verifies: {t}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization requests

fn auth_params() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = |choices: Vec<&'static str>| {
        prop_oneof![
            3 => select(choices).prop_map(str::to_owned),
            1 => any::<String>(),
        ]
    };
    let pair = prop_oneof![
        value(vec!["app", "conf", "nobody", ""]).prop_map(|v| ("client_id".to_owned(), v)),
        value(
            REDIRECTS
                .iter()
                .copied()
                .chain([
                    "https://app.example/cb/",
                    "https://evil.example/cb",
                    "HTTPS://app.example/cb"
                ])
                .collect()
        )
        .prop_map(|v| ("redirect_uri".to_owned(), v)),
        value(vec!["code", "token", "code id_token", ""])
            .prop_map(|v| ("response_type".to_owned(), v)),
        value(vec!["query", "form_post", "fragment"]).prop_map(|v| ("response_mode".to_owned(), v)),
        value(vec![
            "openid",
            "openid email",
            "openid  profile offline_access",
            "email",
            "openid unknown",
            "openid \"x"
        ])
        .prop_map(|v| ("scope".to_owned(), v)),
        any::<String>().prop_map(|v| ("state".to_owned(), v)),
        any::<String>().prop_map(|v| ("nonce".to_owned(), v)),
        value(vec![
            "none",
            "login",
            "consent",
            "select_account",
            "none login",
            "bogus"
        ])
        .prop_map(|v| ("prompt".to_owned(), v)),
        value(vec!["0", "60", "-1", "99999999999999999999", "1.5"])
            .prop_map(|v| ("max_age".to_owned(), v)),
        any::<String>().prop_map(|v| ("login_hint".to_owned(), v)),
        value(vec!["", "a.b.c"]).prop_map(|v| ("id_token_hint".to_owned(), v)),
        value(vec![
            "{}",
            "{\"userinfo\":{\"email\":null}}",
            "[]",
            "null",
            "{"
        ])
        .prop_map(|v| ("claims".to_owned(), v)),
        value(vec![
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ])
        .prop_map(|v| ("code_challenge".to_owned(), v)),
        value(vec!["S256", "plain", "s256"]).prop_map(|v| ("code_challenge_method".to_owned(), v)),
        value(vec!["x"]).prop_map(|v| ("request".to_owned(), v)),
        value(vec!["https://app.example/r"]).prop_map(|v| ("request_uri".to_owned(), v)),
    ];
    let base = prop_oneof![
        Just(vec![]),
        Just(vec![
            ("client_id".to_owned(), "app".to_owned()),
            (
                "redirect_uri".to_owned(),
                "https://app.example/cb".to_owned()
            ),
            ("response_type".to_owned(), "code".to_owned()),
            ("scope".to_owned(), "openid".to_owned()),
            ("code_challenge_method".to_owned(), "S256".to_owned()),
        ]),
        Just(vec![
            ("client_id".to_owned(), "conf".to_owned()),
            (
                "redirect_uri".to_owned(),
                "https://app.example/cb?x=1".to_owned()
            ),
            ("response_type".to_owned(), "code".to_owned()),
        ]),
    ];
    (base, prop::collection::vec(pair, 0..8)).prop_map(|(mut b, more)| {
        b.extend(more);
        b
    })
}

#[test]
fn authorize_validation_never_panics_and_never_trusts_an_unregistered_redirect() {
    let (_dir, store) = store_with_clients();
    let mut runner = proptest::test_runner::TestRunner::new(config(256));
    // A real ID token (RS256, ours, right issuer) as id_token_hint, sometimes.
    let hint = valid_tokens()[0].0.clone();
    runner
        .run(&(auth_params(), any::<bool>()), |(pairs, with_hint)| {
            let mut pairs = pairs;
            if with_hint {
                pairs.push(("id_token_hint".into(), hint.clone()));
            }
            // Through the wire format, as a browser would send them.
            let encoded = serde_urlencoded::to_string(&pairs).expect("encode");
            let p = Params::parse(&encoded);
            let outcome = store
                .read(|c| Ok(authorize::validate(c, &p, ring(), settings(), NOW)))
                .expect("store read");
            match outcome {
                Ok((req, client)) => {
                    prop_assert_eq!(Some(req.client_id.as_str()), p.get("client_id"));
                    prop_assert!(client.redirect_uris.contains(&req.redirect_uri));
                    let scope = ScopeSet::parse(&req.scope).expect("validated scope parses");
                    prop_assert!(scope.contains("openid"));
                    match &req.code_challenge {
                        Some(ch) => prop_assert!(CodeChallenge::parse(ch).is_ok()),
                        None => prop_assert!(!client.is_public && !client.require_pkce),
                    }
                    prop_assert!(req.max_age.is_none_or(|m| m >= 0));
                    if p.get("id_token_hint") == Some(hint.as_str()) {
                        prop_assert_eq!(req.id_token_hint_sub.as_deref(), Some("sub-alice"));
                    }
                    let json = serde_json::to_string(&req).expect("serialise");
                    let back: AuthRequest = serde_json::from_str(&json).expect("reload");
                    prop_assert_eq!(back.redirect_uri, req.redirect_uri);
                }
                Err(Rejection::Redirect(rejected)) => {
                    let (reply, err) = *rejected;
                    let client = store
                        .read(|c| clients::find_client(c, p.get("client_id").unwrap_or("")))
                        .expect("store read")
                        .expect("a redirected error names a registered client");
                    prop_assert!(client.redirect_uris.contains(&reply.redirect_uri));
                    prop_assert!(description_is_safe(err.description()));
                    prop_assert_eq!(reply.state.as_deref(), p.get("state"));
                }
                Err(Rejection::Page { .. }) => {}
                Err(Rejection::Store(e)) => panic!("a request caused a store error: {e}"),
            }
            Ok(())
        })
        .unwrap();
}

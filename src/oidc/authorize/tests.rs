//! `decide` and the consent a request needs, without HTTP or a database.

use super::*;
use serde_json::json;

const NOW: i64 = 1_800_000_000;

fn request(scope: &str, claims: Option<serde_json::Value>) -> AuthRequest {
    AuthRequest {
        client_pk: 1,
        client_id: "app".into(),
        redirect_uri: "https://app.example/cb".into(),
        response_mode: ResponseMode::Query,
        state: None,
        scope: scope.into(),
        nonce: None,
        code_challenge: None,
        prompt: Vec::new(),
        max_age: None,
        login_hint: None,
        id_token_hint_sub: None,
        claims,
        resource: None,
        created_at: NOW,
        signed_in_sid: None,
        acr_values: Vec::new(),
    }
}

fn client() -> Client {
    Client {
        id: 1,
        client_id: "app".into(),
        name: "App".into(),
        is_public: false,
        secret_hash: None,
        grant_types: vec!["authorization_code".into()],
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        skip_consent: false,
        require_pkce: true,
        id_token_alg: "RS256".into(),
        backchannel_logout_uri: None,
        redirect_uris: vec!["https://app.example/cb".into()],
        post_logout_redirect_uris: Vec::new(),
        web_origins: Vec::new(),
        extra_web_origins: Vec::new(),
        require_mfa: false,
        created_at: NOW,
    }
}

fn session() -> (Session, User) {
    let s = Session {
        id: 1,
        sid: "sid".into(),
        user_id: 1,
        auth_time: NOW - 10,
        amr: "pwd".into(),
        created_at: NOW - 10,
        last_seen_at: NOW,
        expires_at: NOW + 3600,
        user_agent: None,
        ip: None,
    };
    let u = User {
        id: 1,
        subject: "sub".into(),
        username: "alice".into(),
        email: "alice@example.com".into(),
        email_verified: true,
        name: None,
        password_hash: String::new(),
        is_admin: false,
        disabled: false,
        created_at: NOW,
        updated_at: NOW,
        password_changed_at: NOW,
        security_notices: true,
    };
    (s, u)
}

fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap_or_default()
}

fn decide_with(req: &AuthRequest, granted: &str) -> Next {
    let (s, u) = session();
    decide(
        req,
        &client(),
        Some((&s, &u)),
        Acr::Pwd,
        true,
        Some(&scopes(granted)),
        NOW,
    )
}

#[test]
fn consent_scopes_add_the_scopes_of_claims_asked_for() {
    let req = request(
        "openid",
        Some(json!({"id_token": {"email": null}, "userinfo": {"name": null}})),
    );
    assert_eq!(req.consent_scopes(), scopes("openid email profile"));
    assert_eq!(
        req.scopes(),
        scopes("openid"),
        "the token scope is unchanged"
    );
    assert_eq!(
        request("openid email", None).consent_scopes(),
        scopes("openid email")
    );
}

#[test]
fn decide_asks_again_when_claims_ask_for_more_than_the_consent_on_record() {
    let req = request("openid", Some(json!({"id_token": {"email": null}})));
    assert_eq!(decide_with(&req, "openid"), Next::Consent);
    assert_eq!(decide_with(&req, "openid profile"), Next::Consent);
    assert_eq!(decide_with(&req, "openid email"), Next::Issue);
}

#[test]
fn decide_with_prompt_none_reports_consent_required_for_claims_not_covered() {
    let mut req = request("openid", Some(json!({"userinfo": {"name": null}})));
    req.prompt = vec!["none".into()];
    assert_eq!(
        decide_with(&req, "openid email"),
        Next::Fail(ErrorCode::ConsentRequired, "the user has not consented")
    );
    assert_eq!(decide_with(&req, "openid profile"), Next::Issue);
}

#[test]
fn claims_no_scope_releases_need_no_more_consent() {
    let req = request(
        "openid",
        Some(json!({"id_token": {"auth_time": {"essential": true}}})),
    );
    assert_eq!(decide_with(&req, "openid"), Next::Issue);
}

#[test]
fn a_sign_in_for_this_request_satisfies_prompt_login_only_in_its_own_session() {
    let (s, u) = session();
    let mut req = request("openid", None);
    req.prompt = vec!["login".into()];
    assert!(
        login_needed(&req, &s, &u, NOW),
        "prompt=login asks to sign in"
    );
    req.signed_in_sid = Some("sid".into());
    assert!(
        !login_needed(&req, &s, &u, NOW),
        "signed in for this request"
    );
    req.signed_in_sid = Some("another-browser".into());
    assert!(
        login_needed(&req, &s, &u, NOW),
        "a sign-in in another session does not count here"
    );
}

#[test]
fn max_age_and_select_account_are_satisfied_only_by_this_sessions_sign_in() {
    let (s, u) = session();
    for prompt in [vec![], vec!["select_account".to_owned()]] {
        let mut req = request("openid", None);
        req.prompt = prompt;
        req.max_age = Some(0);
        assert!(login_needed(&req, &s, &u, NOW));
        req.signed_in_sid = Some("sid".into());
        assert!(!login_needed(&req, &s, &u, NOW));
    }
}

#[test]
fn an_id_token_hint_for_someone_else_is_never_satisfied_by_signing_in() {
    let (s, u) = session();
    let mut req = request("openid", None);
    req.id_token_hint_sub = Some("someone-else".into());
    req.signed_in_sid = Some("sid".into());
    assert!(login_needed(&req, &s, &u, NOW));
    req.id_token_hint_sub = Some("sub".into());
    assert!(!login_needed(&req, &s, &u, NOW));
}

/// prompt, max_age, signed in for this request, consent on record, may use, expected.
type Row = (
    &'static [&'static str],
    Option<i64>,
    bool,
    &'static str,
    bool,
    Next,
);

/// Every combination that matters to `decide`: prompt, max_age against the session's age, the
/// consent on record, the app's allowed groups, and whether the user signed in for this very
/// request. (session age is NOW - auth_time; the test session signed in 10 s ago.)
#[test]
fn decide_table() {
    use ErrorCode::*;
    let (s, u) = session();
    let login = Next::Login;
    let rows: &[Row] = &[
        // prompt, max_age, signed in for this request, consent on record, may use, expected
        (&[], None, false, "openid", true, Next::Issue),
        (&[], None, false, "", true, Next::Consent),
        (&[], None, false, "openid", false, Next::Denied),
        (&[], None, false, "", false, Next::Denied),
        (&[], Some(60), false, "openid", true, Next::Issue),
        (&[], Some(5), false, "openid", true, login),
        (&[], Some(0), false, "openid", true, Next::Login),
        (&[], Some(5), true, "openid", true, Next::Issue),
        (&[], Some(0), true, "", true, Next::Consent),
        (&["login"], None, false, "openid", true, Next::Login),
        (&["login"], None, true, "openid", true, Next::Issue),
        (&["login"], None, true, "openid", false, Next::Denied),
        (
            &["select_account"],
            None,
            false,
            "openid",
            true,
            Next::Login,
        ),
        (&["select_account"], None, true, "openid", true, Next::Issue),
        (&["consent"], None, false, "openid", true, Next::Consent),
        (&["consent"], None, true, "openid", true, Next::Consent),
        (
            &["login", "consent"],
            None,
            true,
            "openid",
            true,
            Next::Consent,
        ),
        (&["none"], None, false, "openid", true, Next::Issue),
        (
            &["none"],
            None,
            false,
            "",
            true,
            Next::Fail(ConsentRequired, "the user has not consented"),
        ),
        (
            &["none"],
            None,
            false,
            "openid",
            false,
            Next::Fail(AccessDenied, "the user may not use this application"),
        ),
        (
            &["none"],
            Some(5),
            false,
            "openid",
            true,
            Next::Fail(LoginRequired, "the user must sign in again"),
        ),
        (
            &["none"],
            Some(0),
            false,
            "",
            false,
            Next::Fail(LoginRequired, "the user must sign in again"),
        ),
    ];
    for (i, (prompt, max_age, here, granted, may_use, expected)) in rows.iter().enumerate() {
        let mut req = request("openid", None);
        req.prompt = prompt.iter().map(|p| p.to_string()).collect();
        req.max_age = *max_age;
        if *here {
            req.signed_in_sid = Some(s.sid.clone());
        }
        let granted = (!granted.is_empty()).then(|| scopes(granted));
        let got = decide(
            &req,
            &client(),
            Some((&s, &u)),
            Acr::Pwd,
            *may_use,
            granted.as_ref(),
            NOW,
        );
        assert_eq!(&got, expected, "row {i}: {:?}", rows[i]);
    }
    // Without a session: sign in, or login_required for prompt=none.
    let req = request("openid", None);
    assert_eq!(
        decide(&req, &client(), None, Acr::Pwd, true, None, NOW),
        Next::Login
    );
    let mut req = request("openid", None);
    req.prompt = vec!["none".into()];
    assert_eq!(
        decide(&req, &client(), None, Acr::Pwd, true, None, NOW),
        Next::Fail(LoginRequired, "the user is not signed in")
    );
}

#[test]
fn the_checks_run_in_the_documented_order() {
    assert_eq!(
        check_names(),
        [
            "response_mode",
            "request_objects",
            "response_type",
            "repeated_parameters",
            "grant",
            "scope",
            "pkce",
            "nonce_and_state",
            "prompt",
            "max_age",
            "id_token_hint",
            "claims",
            "acr_values",
            "login_hint",
        ]
    );
}

/// decide for the test session with these methods, the user's floor and the client's policy.
fn decide_strength(req: &AuthRequest, amr: &str, floor: Acr, require_mfa: bool) -> Next {
    let (mut s, u) = session();
    s.amr = amr.into();
    let mut cl = client();
    cl.require_mfa = require_mfa;
    decide(
        req,
        &cl,
        Some((&s, &u)),
        floor,
        true,
        Some(&scopes("openid")),
        NOW,
    )
}

#[test]
fn a_session_below_the_users_floor_or_the_clients_policy_needs_a_second_factor_first() {
    let req = request("openid", None);
    assert_eq!(
        decide_strength(&req, "pwd", Acr::Mfa, false),
        Next::SecondFactor(Acr::Mfa)
    );
    assert_eq!(
        decide_strength(&req, "pwd", Acr::Pwd, true),
        Next::SecondFactor(Acr::Mfa)
    );
    assert_eq!(
        decide_strength(&req, "pwd otp mfa", Acr::Mfa, true),
        Next::Issue
    );
    assert_eq!(decide_strength(&req, "pwd", Acr::Pwd, false), Next::Issue);
    // Before the access check: a half-signed-in visitor learns nothing about the account.
    let (mut s, u) = session();
    s.amr = "pwd".into();
    let got = decide(&req, &client(), Some((&s, &u)), Acr::Mfa, false, None, NOW);
    assert_eq!(got, Next::SecondFactor(Acr::Mfa));
}

#[test]
fn acr_values_step_up_to_the_lowest_listed_level_only_when_none_is_met() {
    let with = |acr: &str| {
        let mut r = request("openid", None);
        r.acr_values = Acr::parse_list(acr)
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        r
    };
    let mfa = with("urn:latchkey:acr:mfa");
    assert_eq!(
        decide_strength(&mfa, "pwd", Acr::Pwd, false),
        Next::SecondFactor(Acr::Mfa)
    );
    assert_eq!(
        decide_strength(&mfa, "pwd otp mfa", Acr::Pwd, false),
        Next::Issue
    );
    let all = with("urn:latchkey:acr:pwd urn:latchkey:acr:mfa phr");
    assert_eq!(decide_strength(&all, "pwd", Acr::Pwd, false), Next::Issue);
    let phr = with("phr");
    assert_eq!(
        decide_strength(&phr, "pwd otp mfa", Acr::Mfa, false),
        Next::SecondFactor(Acr::Phr)
    );
    let unknown = with("1 2");
    assert_eq!(
        decide_strength(&unknown, "pwd", Acr::Pwd, false),
        Next::Issue
    );
    // An essential acr claim works the same; a voluntary one asks for nothing.
    let essential = request(
        "openid",
        Some(json!({"id_token": {"acr": {"essential": true, "values": ["urn:latchkey:acr:mfa"]}}})),
    );
    assert_eq!(
        decide_strength(&essential, "pwd", Acr::Pwd, false),
        Next::SecondFactor(Acr::Mfa)
    );
    let voluntary = request(
        "openid",
        Some(json!({"id_token": {"acr": {"values": ["urn:latchkey:acr:mfa"]}}})),
    );
    assert_eq!(
        decide_strength(&voluntary, "pwd", Acr::Pwd, false),
        Next::Issue
    );
}

#[test]
fn prompt_none_with_a_sign_in_too_weak_answers_login_required() {
    let mut req = request("openid", None);
    req.prompt = vec!["none".into()];
    req.acr_values = vec!["urn:latchkey:acr:mfa".into()];
    assert_eq!(
        decide_strength(&req, "pwd", Acr::Pwd, false),
        Next::Fail(
            ErrorCode::LoginRequired,
            "the sign-in is not strong enough for this request"
        )
    );
    assert_eq!(
        decide_strength(&req, "pwd otp mfa", Acr::Pwd, false),
        Next::Issue
    );
}

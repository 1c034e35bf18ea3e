//! The `claims` request parameter (OIDC Core §5.5) releases no more than the scopes allow
//! (§5.4): a claim is released only to a client that may use the scope releasing it, the
//! consent covers what the claims add, and the parameter is bounded in size.
//! Groups through `claims` without the scope: access_control.rs
//! `groups_claim_is_in_id_token_access_token_and_userinfo_only_with_the_groups_scope`.

use crate::support::*;
use latchkey::clock::{Clock, SystemClock};
use latchkey::crypto::random;
use latchkey::store::{clients, refresh, users};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde_json::Value;

/// Every scope-bound standard claim, for the ID token and userinfo alike.
const ALL_USER_CLAIMS: &str = r#"{"id_token":{"email":null,"email_verified":null,"name":null,"preferred_username":null},"userinfo":{"email":null,"email_verified":null,"name":null,"preferred_username":null}}"#;

/// A client allowed only `openid` (`client add ... --scopes openid`).
fn openid_only_client(app: &TestApp) -> String {
    add_client(
        app,
        &ClientSpec {
            scopes: &["openid"],
            ..Default::default()
        },
    )
    .expect("confidential client")
}

/// What a real relying party (the `openidconnect` crate) got after alice signed in.
struct Released {
    journey: Journey,
    /// The ID token's claims, signature and nonce verified.
    id: Value,
    /// The userinfo response, subject checked.
    userinfo: Value,
    /// The access token's payload.
    access: Value,
    /// The claims of the ID token a refresh gave (verified), when there was a refresh token.
    refreshed_id: Option<Value>,
}

/// Alice signs in through `client_id` with `openid` plus `scopes` and `claims`, as the
/// `openidconnect` crate drives it; consent is allowed when asked.
async fn sign_in_with_rp(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    scopes: &[&str],
    claims: &str,
) -> Released {
    let http = http();
    let issuer = IssuerUrl::new(app.address.clone()).expect("issuer url");
    let meta = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery works");
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(client_id.into()),
        Some(ClientSecret::new(secret.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).expect("redirect url"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_extra_param("claims", claims)
        .set_pkce_challenge(challenge);
    for s in scopes {
        request = request.add_scope(Scope::new((*s).into()));
    }
    let (url, state, nonce) = request.url();

    let journey = authorize_as(app, url.as_str(), "alice").await;
    assert_eq!(journey.param("error"), None, "{}", journey.callback);
    assert_eq!(
        journey.param("state").as_deref(),
        Some(state.secret().as_str())
    );
    let tokens = client
        .exchange_code(AuthorizationCode::new(journey.code()))
        .expect("token endpoint known")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange succeeds");
    let id_verifier = client.id_token_verifier();
    let id = tokens
        .id_token()
        .expect("an ID token")
        .claims(&id_verifier, &nonce)
        .expect("the ID token verifies");
    let id = serde_json::to_value(id).expect("claims as JSON");
    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(tokens.access_token().to_owned(), None)
        .expect("userinfo endpoint known")
        .request_async(&http)
        .await
        .expect("userinfo works");
    let userinfo = serde_json::to_value(info).expect("userinfo as JSON");
    assert_eq!(userinfo["sub"], id["sub"], "same subject");
    let access = jwt_claims(tokens.access_token().secret());

    let refreshed_id = match tokens.refresh_token() {
        None => None,
        Some(rt) => {
            let refreshed = client
                .exchange_refresh_token(&RefreshToken::new(rt.secret().clone()))
                .expect("token endpoint known")
                .request_async(&http)
                .await
                .expect("refresh succeeds");
            let claims = refreshed
                .id_token()
                .expect("a refreshed ID token")
                .claims(&id_verifier, |_: Option<&Nonce>| Ok(()))
                .expect("the refreshed ID token verifies");
            Some(serde_json::to_value(claims).expect("claims as JSON"))
        }
    };
    Released {
        journey,
        id,
        userinfo,
        access,
        refreshed_id,
    }
}

/// Sign alice in for `req` and return the consent page it leads to.
async fn consent_page(app: &TestApp, req: &AuthReq) -> String {
    let res = browse(app, &req.url(app)).await;
    let res = submit_login(app, &location(&res), "alice", PASSWORD).await;
    let res = browse(app, &location(&res)).await;
    let consent = location(&res);
    assert!(consent.starts_with("/consent?req="), "{consent}");
    let page = browse(app, &consent).await;
    assert_eq!(page.status(), 200);
    page.text().await.expect("consent html")
}

fn has_code(loc: &str) -> bool {
    loc.starts_with(REDIRECT_URI) && query_param(loc, "code").is_some()
}

#[tokio::test]
async fn claims_parameter_cannot_release_email_to_client_without_email_scope() {
    let app = spawn_oidc_app().await;
    let secret = openid_only_client(&app);
    let r = sign_in_with_rp(&app, "app", &secret, &[], ALL_USER_CLAIMS).await;
    for (what, v) in [("ID token", &r.id), ("userinfo", &r.userinfo)] {
        for claim in ["email", "email_verified", "name", "preferred_username"] {
            assert!(v.get(claim).is_none(), "{claim} in the {what}: {v}");
        }
    }
    let refreshed = r.refreshed_id.expect("the client may refresh");
    assert!(refreshed.get("email").is_none(), "{refreshed}");
    assert!(refreshed.get("name").is_none(), "{refreshed}");
    assert_eq!(r.access["scope"], "openid", "{}", r.access);
}

#[tokio::test]
async fn claims_parameter_releases_email_to_client_allowed_email_after_consent() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).expect("confidential client");
    let claims = r#"{"id_token":{"email":null},"userinfo":{"email":null,"email_verified":null}}"#;
    let r = sign_in_with_rp(&app, "app", &secret, &[], claims).await;
    assert!(r.journey.saw("/consent"), "{:?}", r.journey);
    assert_eq!(r.id["email"], "alice@example.com", "{}", r.id);
    assert_eq!(r.userinfo["email"], "alice@example.com", "{}", r.userinfo);
    assert_eq!(r.userinfo["email_verified"], true, "{}", r.userinfo);
    assert!(r.id.get("name").is_none(), "only what was asked: {}", r.id);
    assert_eq!(
        r.access["scope"], "openid",
        "claims do not widen the token's scope: {}",
        r.access
    );
    let refreshed = r.refreshed_id.expect("the client may refresh");
    assert_eq!(refreshed["email"], "alice@example.com", "{refreshed}");
}

#[tokio::test]
async fn claims_parameter_added_later_shows_consent_again() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).expect("confidential client");
    let first = authorize_as(&app, &AuthReq::new("app").url(&app), "alice").await;
    assert!(first.saw("/consent"), "{first:?}");

    let with_claims = || AuthReq::new("app").set("claims", r#"{"id_token":{"email":null}}"#);
    let res = browse(&app, &with_claims().url(&app)).await;
    assert!(
        location(&res).starts_with("/consent"),
        "a consent for scope=openid does not cover email: {}",
        location(&res)
    );
    let res = browse(&app, &with_claims().set("prompt", "none").url(&app)).await;
    assert_redirect_error(&app, &res, "consent_required", Some(STATE));

    let req = with_claims();
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    assert!(j.saw("/consent"), "{j:?}");
    let t = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    assert_eq!(
        jwt_claims(str_of(&t, "id_token"))["email"],
        "alice@example.com"
    );
    assert_eq!(jwt_claims(str_of(&t, "access_token"))["scope"], "openid");

    // What was allowed is remembered: neither the same request nor scope=email asks again.
    for req in [
        with_claims(),
        AuthReq::new("app").set("scope", "openid email"),
    ] {
        let loc = location(&browse(&app, &req.url(&app)).await);
        assert!(has_code(&loc), "no consent page again: {loc}");
    }
    // Other claims still need consent.
    let req = AuthReq::new("app").set("claims", r#"{"userinfo":{"name":null}}"#);
    let loc = location(&browse(&app, &req.url(&app)).await);
    assert!(loc.starts_with("/consent"), "name is not covered: {loc}");
}

#[tokio::test]
async fn consent_page_lists_claims_requested_through_claims_parameter() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let req = AuthReq::new("app").set("claims", r#"{"id_token":{"email":null}}"#);
    let html = consent_page(&app, &req).await;
    assert!(html.contains("See your email address"), "{html}");
    assert!(!html.contains("See your name"), "{html}");

    let req = AuthReq::new("app").set("claims", r#"{"userinfo":{"name":null}}"#);
    let html = consent_page(&app, &req).await;
    assert!(html.contains("See your name and username"), "{html}");
    assert!(!html.contains("email address"), "{html}");
}

#[tokio::test]
async fn consent_page_does_not_list_claims_the_client_may_not_have() {
    let app = spawn_oidc_app().await;
    openid_only_client(&app);
    let req = AuthReq::new("app").set("claims", ALL_USER_CLAIMS);
    let html = consent_page(&app, &req).await;
    assert!(!html.contains("email"), "{html}");
    assert!(!html.contains("See your name"), "{html}");
}

#[tokio::test]
async fn claims_parameter_over_2kib_is_invalid_request() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let sized = |len: usize| {
        let empty = r#"{"userinfo":{"name":null},"x":""}"#;
        let v = format!(
            r#"{{"userinfo":{{"name":null}},"x":"{}"}}"#,
            "a".repeat(len - empty.len())
        );
        assert_eq!(v.len(), len);
        v
    };
    let res = browse(
        &app,
        &AuthReq::new("app").set("claims", &sized(2049)).url(&app),
    )
    .await;
    let loc = assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    let d = query_param(&loc, "error_description").unwrap_or_default();
    assert!(d.contains("claims"), "{d}");

    let res = browse(
        &app,
        &AuthReq::new("app").set("claims", &sized(2048)).url(&app),
    )
    .await;
    assert!(
        location(&res).starts_with("/login"),
        "2048 bytes are fine: {}",
        location(&res)
    );
}

#[tokio::test]
async fn refresh_token_issued_before_the_fix_no_longer_releases_claims_beyond_the_clients_scopes() {
    let app = spawn_oidc_app().await;
    let secret = openid_only_client(&app);
    let alice = app
        .store
        .read(|c| users::find_user_by_username(c, "alice"))
        .unwrap()
        .expect("alice");
    let token = random::token();
    let now = SystemClock.now();
    app.store
        .write(|c| {
            let client = clients::find_client(c, "app")?.expect("client");
            refresh::insert_refresh_token(
                c,
                &refresh::NewRefreshToken {
                    token_hash: &random::hash_token(&token),
                    family_id: &random::token(),
                    client_pk: client.id,
                    user_id: alice.id,
                    sid: None,
                    scope: "openid",
                    claims: Some(ALL_USER_CLAIMS),
                    auth_time: now,
                    amr: "pwd",
                    acr: None,
                    code_hash: None,
                    expires_at: now + 3600,
                    access_jti: &random::token(),
                    access_expires_at: now + 300,
                    resource: None,
                },
                now,
            )
        })
        .unwrap();
    let t = token_ok(refresh(&app, "app", &secret, &token, None).await).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    assert!(
        id.get("email").is_none() && id.get("name").is_none(),
        "{id}"
    );
    let info: Value = userinfo(&app, str_of(&t, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        info.get("email").is_none() && info.get("name").is_none(),
        "{info}"
    );
}

//! JWTs with the wrong claims (RFC 8725 §3.8-3.11, RFC 9068): expired, early, foreign issuer or
//! audience, wrong `typ`, or one kind of token presented as another, are refused.

use crate::support::*;
use latchkey::crypto::keys::Alg;
use serde_json::{Value, json};

/// Access tokens minted with our own key whose claims are wrong in one way each.
async fn minted_access_tokens_refused(v: &Victim, cases: Vec<(&str, Value)>) {
    for (what, claims) in cases {
        let token = mint(&v.app, "at+jwt", &claims);
        v.refused_as_access_token(what, &token).await;
    }
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let v = victim().await;
    let now = unix_now();
    let base = v.fresh_access_claims();
    minted_access_tokens_refused(
        &v,
        vec![
            (
                "expired an hour ago",
                with_claims(
                    &base,
                    &[("iat", (now - 4000).into()), ("exp", (now - 3600).into())],
                ),
            ),
            (
                "expired five seconds ago",
                with_claims(
                    &base,
                    &[("iat", (now - 600).into()), ("exp", (now - 5).into())],
                ),
            ),
            ("without exp", with_claims(&base, &[("exp", Value::Null)])),
            (
                "exp as a string",
                with_claims(&base, &[("exp", (now + 600).to_string().into())]),
            ),
        ],
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn an_access_token_not_yet_valid_is_refused() {
    let v = victim().await;
    let now = unix_now();
    let base = v.fresh_access_claims();
    minted_access_tokens_refused(
        &v,
        vec![
            (
                "nbf in an hour",
                with_claims(&base, &[("nbf", (now + 3600).into())]),
            ),
            (
                "nbf in five minutes",
                with_claims(&base, &[("nbf", (now + 300).into())]),
            ),
        ],
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn an_access_token_issued_in_the_future_is_refused() {
    let v = victim().await;
    let now = unix_now();
    let base = v.fresh_access_claims();
    minted_access_tokens_refused(
        &v,
        vec![
            (
                "iat in an hour",
                with_claims(
                    &base,
                    &[("iat", (now + 3600).into()), ("exp", (now + 4200).into())],
                ),
            ),
            (
                "iat in a year",
                with_claims(
                    &base,
                    &[
                        ("iat", (now + 365 * 86_400).into()),
                        ("exp", (now + 365 * 86_400 + 600).into()),
                    ],
                ),
            ),
            ("without iat", with_claims(&base, &[("iat", Value::Null)])),
        ],
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let v = victim().await;
    let issuer = v.app.settings.issuer.clone();
    let wrong = [
        json!("https://evil.example"),
        json!(format!("{issuer}/")),
        json!(issuer.to_uppercase()),
        json!([issuer]),
        Value::Null,
    ];
    for iss in &wrong {
        let at = mint(
            &v.app,
            "at+jwt",
            &with_claims(&v.fresh_access_claims(), &[("iss", iss.clone())]),
        );
        v.refused_as_access_token(&format!("an access token with iss {iss}"), &at)
            .await;
        let idt = mint(
            &v.app,
            "JWT",
            &with_claims(&v.id_claims(), &[("iss", iss.clone())]),
        );
        v.refused_as_id_token_hint(&format!("an ID token with iss {iss}"), &idt)
            .await;
    }
    v.unharmed().await;
}

#[tokio::test]
async fn an_access_token_for_another_audience_is_refused() {
    let v = victim().await;
    let userinfo_url = v.app.url("/userinfo");
    let issuer = v.app.settings.issuer.clone();
    let base = v.fresh_access_claims();
    assert_eq!(base["aud"], userinfo_url.as_str(), "what our tokens carry");
    for aud in [
        json!("app"),
        json!(["app"]),
        json!("https://evil.example/userinfo"),
        json!(format!("{userinfo_url}/")),
        json!(issuer),
        json!([]),
        Value::Null,
    ] {
        let at = mint(
            &v.app,
            "at+jwt",
            &with_claims(&base, &[("aud", aud.clone())]),
        );
        v.refused_as_access_token(&format!("an access token with aud {aud}"), &at)
            .await;
    }
    v.unharmed().await;
}

#[tokio::test]
async fn an_access_token_with_the_wrong_typ_is_refused() {
    let v = victim().await;
    for typ in [
        "JWT",
        "jwt",
        "application/jwt",
        "JOSE",
        "at+jwt2",
        "id+jwt",
        "",
    ] {
        let at = mint(&v.app, typ, &v.fresh_access_claims());
        v.refused_as_access_token(&format!("an access token with typ {typ:?}"), &at)
            .await;
    }
    // And no typ at all, signed by hand with our key.
    let key = our_key(&v.app, Alg::RS256);
    let ours = josekit::jws::RS256
        .signer_from_pem(&key.private_pem)
        .unwrap();
    let no_typ = compact(
        &json!({ "alg": "RS256", "kid": v.rs_kid }),
        &v.fresh_access_claims(),
        Some(&ours),
    );
    v.refused_as_access_token("an access token without typ", &no_typ)
        .await;
    v.unharmed().await;
}

#[tokio::test]
async fn an_id_token_is_never_accepted_as_an_access_token() {
    let v = victim().await;
    v.refused_as_access_token("the genuine ID token", &v.id)
        .await;
    // Even one with the access token's audience: its typ says it is an ID token.
    let aud = v.access_claims()["aud"].clone();
    let id_for_userinfo = mint(
        &v.app,
        "JWT",
        &with_claims(
            &v.id_claims(),
            &[("aud", aud), ("scope", "openid profile email".into())],
        ),
    );
    v.refused_as_access_token(
        "an ID token whose aud is the userinfo endpoint",
        &id_for_userinfo,
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn an_access_token_is_never_accepted_as_an_id_token_hint() {
    let v = victim().await;
    v.refused_as_id_token_hint("the genuine access token", &v.access)
        .await;
    // Even with the ID token's audience: its typ says it is an access token.
    let at_for_app = mint(
        &v.app,
        "at+jwt",
        &with_claims(&v.fresh_access_claims(), &[("aud", "app".into())]),
    );
    v.refused_as_id_token_hint("an access token whose aud is the client", &at_for_app)
        .await;
    v.unharmed().await;
}

/// OIDC Core §3.1.2.1 lets an expired ID token be a hint, but it must still be one we issued
/// to the client that sends it: an ID token obtained by another client (or minted for one) is
/// not a hint for `app`.
#[tokio::test]
async fn an_id_token_hint_issued_to_another_client_is_refused_at_authorize() {
    let v = victim().await;
    let third_secret = add_client(
        &v.app,
        &ClientSpec {
            client_id: "third",
            skip_consent: true,
            ..Default::default()
        },
    )
    .expect("secret");
    let t = tokens(&v.app, "third", Some(&third_secret), &[]).await;
    let third_id = str_of(&t, "id_token").to_owned();
    assert_eq!(jwt_claims(&third_id)["aud"], "third");
    let minted = mint(
        &v.app,
        "JWT",
        &with_claims(&v.id_claims(), &[("aud", "evil-client".into())]),
    );
    let mut accepted = Vec::new();
    for (what, hint) in [
        ("a genuine ID token issued to the client `third`", &third_id),
        (
            "an ID token for the unknown audience `evil-client`",
            &minted,
        ),
    ] {
        let url = AuthReq::new("app")
            .set("prompt", "none")
            .set("id_token_hint", hint)
            .url(&v.app);
        let res = browse(&v.app, &url).await;
        assert_eq!(res.status(), 302, "{what}");
        let loc = location(&res);
        if query_param(&loc, "error").as_deref() != Some("invalid_request") {
            accepted.push(format!("{what} -> {loc}"));
        }
    }
    assert!(
        accepted.is_empty(),
        "/authorize?client_id=app accepted id_token_hints whose aud is not app:\n{}",
        accepted.join("\n")
    );
    v.unharmed().await;
}

/// At logout the hint's audience names the client asking: one that contradicts `client_id`,
/// or names no registered client, is refused (an error page, no redirect, still signed in).
#[tokio::test]
async fn logout_refuses_an_id_token_hint_for_another_or_unknown_audience() {
    let v = victim().await;
    let third_secret = add_client(
        &v.app,
        &ClientSpec {
            client_id: "third",
            skip_consent: true,
            ..Default::default()
        },
    )
    .expect("secret");
    let t = tokens(&v.app, "third", Some(&third_secret), &[]).await;
    let third_id = str_of(&t, "id_token").to_owned();
    v.refused_at_logout(
        "an ID token of another client while client_id names app",
        &third_id,
        &[("client_id", "app")],
    )
    .await;
    let minted = mint(
        &v.app,
        "JWT",
        &with_claims(&v.id_claims(), &[("aud", "evil-client".into())]),
    );
    v.refused_at_logout("an ID token for an unknown audience", &minted, &[])
        .await;
    v.unharmed().await;
}

//! Authenticator apps: set up on the account page from the shown secret, then password + code
//! at sign-in (seen by a real RP in the ID token), each code once, one step of clock skew,
//! recovery codes once, and seeds a database copy cannot reveal.

use crate::support::*;
use latchkey::clock::{Clock, FixedClock};
use latchkey::crypto::secret_key::SecretKey;
use latchkey::store::{second_factors, users};
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreProviderMetadata,
};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, RedirectUrl, TokenResponse,
};
use std::sync::Arc;

/// A server on a clock the test moves, with alice, the app `app` (its secret returned) and
/// alice signed in with an authenticator app set up (its secret returned too).
pub async fn alice_with_totp() -> (TestApp, FixedClock, String, String, Vec<String>) {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let client_secret = add_client(&app, &ClientSpec::default()).expect("confidential");
    sign_in(&app, "alice").await;
    let (secret, codes) = set_up_totp(&app, clock.now()).await;
    (app, clock, client_secret, secret, codes)
}

/// Sign in with the password on the bare login page; the answer sends to the second factor.
async fn password_only(app: &TestApp) -> String {
    let res = submit_login(app, "/login", "alice", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert!(loc.starts_with("/login/second-factor?"), "{loc}");
    loc
}

/// What the RP sees: the ID token's `amr` and `acr`, verified with the openidconnect crate.
pub async fn rp_sign_in(
    app: &TestApp,
    secret: &str,
    acr_values: &[&str],
    code: &mut (dyn FnMut() -> String + Send),
) -> (Vec<String>, Option<String>, i64) {
    let http = http();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new("app".into()),
        Some(ClientSecret::new(secret.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut auth = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_prompt(CoreAuthPrompt::Login)
        .set_pkce_challenge(challenge);
    for a in acr_values {
        auth = auth.add_auth_context_value(AuthenticationContextClass::new((*a).into()));
    }
    let (url, _, nonce) = auth.url();
    let j = drive_with_code(app, browse(app, url.as_str()).await, "alice", code).await;
    let code = j.code();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let claims = tokens
        .id_token()
        .expect("an ID token")
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token verifies");
    let amr = claims
        .auth_method_refs()
        .map(|v| v.iter().map(|m| m.to_string()).collect())
        .unwrap_or_default();
    let acr = claims.auth_context_ref().map(|a| a.to_string());
    let auth_time = claims.auth_time().expect("auth_time").timestamp();
    (amr, acr, auth_time)
}

#[tokio::test]
async fn password_and_a_code_from_the_shown_secret_give_an_id_token_with_otp_and_mfa() {
    let (app, clock, client_secret, secret, _) = alice_with_totp().await;
    clock.advance(30);
    let now = clock.now();
    let mut code = || totp_code(&secret, now);
    let (amr, acr, auth_time) = rp_sign_in(&app, &client_secret, &[], &mut code).await;
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
    assert_eq!(acr.as_deref(), Some("urn:latchkey:acr:mfa"));
    assert_eq!(auth_time, now, "auth_time is the time of the second factor");
    let ok = audited(&app, "mfa.succeeded");
    assert!(
        ok[0].detail.as_deref().unwrap_or("").contains("totp"),
        "{ok:?}"
    );
    assert_eq!(audited(&app, "mfa.totp_enrolled").len(), 1);
}

#[tokio::test]
async fn a_code_is_accepted_once_and_the_next_step_s_code_works() {
    let (app, clock, _, secret, _) = alice_with_totp().await;
    clock.advance(30);
    let code = totp_code(&secret, clock.now());
    let page = password_only(&app).await;
    let res = submit_code(&app, &page, &code).await;
    assert_eq!(res.status(), 303, "the first use");
    assert_eq!(location(&res), "/");

    let page = password_only(&app).await;
    let res = submit_code(&app, &page, &code).await;
    assert_eq!(res.status(), 401, "the same code again is refused");
    assert!(res.text().await.unwrap().contains("used already"));
    assert_eq!(audited(&app, "mfa.failed").len(), 1);

    clock.advance(30);
    let res = submit_code(&app, &page, &totp_code(&secret, clock.now())).await;
    assert_eq!(res.status(), 303, "a later code works");
}

#[tokio::test]
async fn one_step_of_clock_skew_either_way_is_accepted_and_two_are_not() {
    let (app, clock, _, secret, _) = alice_with_totp().await;
    clock.advance(600);
    let now = clock.now();
    let page = password_only(&app).await;
    for off in [-60, 60] {
        let res = submit_code(&app, &page, &totp_code(&secret, now + off)).await;
        assert_eq!(res.status(), 401, "{off} s off is refused");
    }
    let res = submit_code(&app, &page, &totp_code(&secret, now - 30)).await;
    assert_eq!(res.status(), 303, "30 s behind is accepted");
    let page = password_only(&app).await;
    let res = submit_code(&app, &page, &totp_code(&secret, now + 30)).await;
    assert_eq!(res.status(), 303, "30 s ahead is accepted");
}

#[tokio::test]
async fn a_recovery_code_works_once_and_the_account_page_says_so() {
    let (app, _clock, _, _, codes) = alice_with_totp().await;
    let page = password_only(&app).await;
    let res = submit_code(&app, &page, &codes[3].to_uppercase()).await;
    assert_eq!(
        res.status(),
        303,
        "a recovery code instead of the app's code"
    );
    let account = browse(&app, "/account").await.text().await.unwrap();
    assert!(account.contains("9 of 10 left"), "{account}");
    assert!(account.contains("last used"), "{account}");
    assert_eq!(audited(&app, "mfa.recovery_code_used").len(), 1);

    let page = password_only(&app).await;
    let res = submit_code(&app, &page, &codes[3]).await;
    assert_eq!(res.status(), 401, "a used recovery code is refused");
    let res = submit_code(&app, &page, &codes[4]).await;
    assert_eq!(res.status(), 303, "another one works");
}

#[tokio::test]
async fn the_second_factor_page_works_without_javascript_and_a_password_alone_signs_nobody_in() {
    let (app, _clock, _, _, _) = alice_with_totp().await;
    let page = password_only(&app).await;
    let account = browse(&app, "/account").await;
    assert_eq!(account.status(), 303, "half signed in: no account page");
    assert_eq!(location(&account), "/login/second-factor?next=/account");
    let html = browse(&app, &page).await.text().await.unwrap();
    assert!(!html.contains("<script"), "no script on the page");
    assert!(html.contains("name=\"code\"") && html.contains("autocomplete=\"one-time-code\""));
    assert!(
        html.contains("<label for=\"code\">"),
        "the field has a label"
    );
}

#[tokio::test]
async fn a_copy_of_the_database_without_the_key_file_reveals_no_seed() {
    let (app, _clock, _, secret, _) = alice_with_totp().await;
    let seed = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &secret).unwrap();
    let (alice, stored) = app
        .store
        .read(|c| {
            let a = users::get_user_by_username(c, "alice")?;
            let t = second_factors::find_totp(c, a.id)?;
            Ok((a, t))
        })
        .unwrap();
    let sealed = stored.expect("a stored app").sealed_seed;
    let contains = |needle: &[u8]| sealed.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(&seed), "the raw seed is not stored");
    assert!(!contains(secret.as_bytes()), "nor its base32 form");
    let owner = alice.id.to_string();
    assert!(
        SecretKey::random()
            .open("totp-seed", &owner, &sealed)
            .is_err(),
        "another key opens nothing"
    );
    let raw: [u8; 32] = std::fs::read(app.data_path().join("secret.key"))
        .unwrap()
        .try_into()
        .unwrap();
    let key = SecretKey::from_bytes(&raw);
    assert_eq!(
        key.open("totp-seed", &owner, &sealed).unwrap(),
        seed,
        "the key file does open it"
    );
    assert!(
        key.open("totp-seed", "999", &sealed).is_err(),
        "only as alice's"
    );
}

#[tokio::test]
async fn setting_up_needs_a_fresh_sign_in_and_a_right_code() {
    let clock = clock_now();
    let app = spawn_app_with_clock(|_| {}, Arc::new(clock.clone()) as Arc<dyn Clock>).await;
    add_user(&app, "alice", "alice@example.com", None);
    sign_in(&app, "alice").await;
    clock.advance(601);
    let res = browse(&app, "/account/totp").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/login?next=%2Faccount%2Ftotp&reauth=1",
        "an old sign-in signs in again first"
    );
    let login = browse(&app, &location(&res)).await.text().await.unwrap();
    assert!(login.contains("sign in again first"), "{login}");
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    assert_eq!(location(&res), "/account/totp", "back to the setup");

    let html = browse(&app, "/account/totp").await.text().await.unwrap();
    let secret = shown_secret(&html);
    let wrong = format!(
        "{:06}",
        (totp_code(&secret, clock.now()).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let res = app
        .client
        .post(app.url("/account/totp"))
        .form(&[
            ("csrf_token", hidden(&html, "csrf_token").unwrap()),
            ("enrolment", hidden(&html, "enrolment").unwrap()),
            ("code", wrong),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let again = res.text().await.unwrap();
    assert_eq!(shown_secret(&again), secret, "the same key to try again");
    let account = browse(&app, "/account").await.text().await.unwrap();
    assert!(account.contains("Set up an authenticator app"), "still off");
}

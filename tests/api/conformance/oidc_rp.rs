//! The `openidconnect` crate as a real relying party: discovery -> authorize -> our login and
//! consent pages -> code -> token exchange with PKCE -> verified ID token -> userinfo -> refresh.

use crate::support::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};

/// Sign alice in through `client` and check everything an RP checks. Returns (sub, refresh token).
async fn full_flow(
    app: &TestApp,
    client_id: &str,
    secret: Option<String>,
    alg: CoreJwsSigningAlgorithm,
) -> (String, Option<String>) {
    let http = http();
    let issuer = IssuerUrl::new(app.address.clone()).expect("issuer url");
    let meta = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery works");
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(client_id.into()),
        secret.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).expect("redirect url"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let callback = authorize_as_alice(app, url.as_str()).await;
    assert!(callback.starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(app.address.as_str()),
        "RFC 9207 iss"
    );
    let code = query_param(&callback, "code").expect("code in callback");
    assert!(code.len() >= 43, "code has >= 256 bits: {code}");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint known")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange succeeds");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(vec![alg.clone()]);
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("the ID token verifies");
    assert_eq!(claims.issuer().as_str(), app.address);
    assert!(claims.auth_time().is_some(), "auth_time is always present");
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("alice@example.com")
    );
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("alice")
    );
    assert_eq!(*id_token.signing_alg().expect("alg"), alg);
    let at_hash = claims.access_token_hash().expect("at_hash present");
    let expected = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&verifier).expect("key"),
    )
    .expect("at_hash computable");
    assert_eq!(*at_hash, expected, "at_hash matches the access token");

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().to_owned(), None)
        .expect("userinfo endpoint known")
        .request_async(&http)
        .await
        .expect("userinfo works");
    assert_eq!(info.subject(), claims.subject(), "same sub at userinfo");
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));

    let refresh = tokens.refresh_token().map(|r| r.secret().clone());
    if let Some(rt) = &refresh {
        let refreshed = client
            .exchange_refresh_token(&RefreshToken::new(rt.clone()))
            .expect("token endpoint known")
            .request_async(&http)
            .await
            .expect("refresh succeeds");
        let new_id = refreshed.id_token().expect("refreshed ID token");
        let new_claims = new_id
            .claims(&verifier, |_: Option<&Nonce>| Ok(()))
            .expect("refreshed ID token verifies");
        assert_eq!(new_claims.subject(), claims.subject());
        assert_eq!(
            new_claims.auth_time(),
            claims.auth_time(),
            "original auth_time kept"
        );
        assert_ne!(
            refreshed.refresh_token().map(|r| r.secret()),
            Some(rt),
            "refresh token rotated"
        );
        let replay = client
            .exchange_refresh_token(&RefreshToken::new(rt.clone()))
            .expect("token endpoint known")
            .request_async(&http)
            .await;
        assert!(replay.is_err(), "a used refresh token is refused");
    }
    (claims.subject().to_string(), refresh)
}

#[tokio::test]
async fn openidconnect_rp_completes_the_code_flow_with_a_confidential_client() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default());
    let (sub, refresh) = full_flow(
        &app,
        "app",
        secret,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    )
    .await;
    assert!(!sub.contains("alice"), "sub is opaque, not the username");
    assert!(refresh.is_some(), "offline_access gives a refresh token");
}

#[tokio::test]
async fn openidconnect_rp_completes_the_code_flow_with_a_public_client() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            ..Default::default()
        },
    );
    full_flow(
        &app,
        "spa",
        None,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    )
    .await;
}

#[tokio::test]
async fn openidconnect_rp_verifies_es256_and_eddsa_id_tokens() {
    let app = spawn_oidc_app().await;
    let es = add_client(
        &app,
        &ClientSpec {
            client_id: "es",
            id_token_alg: "ES256",
            skip_consent: true,
            ..Default::default()
        },
    );
    let ed = add_client(
        &app,
        &ClientSpec {
            client_id: "ed",
            id_token_alg: "EdDSA",
            skip_consent: true,
            ..Default::default()
        },
    );
    let (sub_es, _) = full_flow(&app, "es", es, CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
    let (sub_ed, _) = full_flow(&app, "ed", ed, CoreJwsSigningAlgorithm::EdDsa).await;
    assert_eq!(sub_es, sub_ed, "one user, one sub, at every client");
}

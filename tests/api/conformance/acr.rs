//! Conformance modules where `acr` appears (../shared/CONFORMANCE.md): acr_values from
//! discovery, and `acr` requested as an essential claim (ValidateIdTokenACRClaimAgainstRequest).

use crate::support::*;
use serde_json::Value;

/// The suite sends every `acr_values_supported` value; it must succeed, and the ID token's
/// `acr` must be a string, one of those requested (ValidateIdTokenACRClaimAgainstAcrValuesRequest).
#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let (app, secret) = app_with_client().await;
    let meta: Value = browse(&app, "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    let supported: Vec<&str> = meta["acr_values_supported"]
        .as_array()
        .expect("acr_values_supported is advertised")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        supported,
        ["urn:latchkey:acr:pwd", "urn:latchkey:acr:mfa", "phr"]
    );
    let all = supported.join(" ");
    let t = tokens(&app, "app", Some(&secret), &[("acr_values", all.as_str())]).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    let acr = id["acr"].as_str().expect("acr is a string");
    assert!(supported.contains(&acr), "acr {acr} was requested");
    assert_eq!(
        acr, "urn:latchkey:acr:pwd",
        "the highest value a password meets"
    );
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
}

/// `acr` as an essential claim with values: the ID token's `acr` must be one of them.
#[tokio::test]
async fn oidcc_claims_essential_acr_is_met_and_returned() {
    let (app, secret) = app_with_client().await;
    let claims = r#"{"id_token":{"acr":{"essential":true,"values":["urn:latchkey:acr:pwd","urn:latchkey:acr:mfa"]}}}"#;
    let t = tokens(&app, "app", Some(&secret), &[("claims", claims)]).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    assert_eq!(id["acr"], "urn:latchkey:acr:pwd");
}

/// Without acr_values the ID token still says how strong the sign-in was.
#[tokio::test]
async fn every_id_token_carries_acr_and_amr() {
    let (app, secret) = app_with_client().await;
    let t = tokens(&app, "app", Some(&secret), &[]).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    assert_eq!(id["acr"], "urn:latchkey:acr:pwd");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    let r = refresh(&app, "app", &secret, str_of(&t, "refresh_token"), None).await;
    let refreshed = token_ok(r).await;
    let id = jwt_claims(str_of(&refreshed, "id_token"));
    assert_eq!(id["acr"], "urn:latchkey:acr:pwd", "kept across refreshes");
}

//! Discovery (OIDC Discovery 1.0, RFC 8414) and the JWK Set: every field issue 3 lists, only
//! what is implemented, the right JSON types, and public keys only.

use crate::support::*;
use serde_json::{Value, json};

/// GET a JSON document: (its headers, its body).
async fn get_json(app: &TestApp, path: &str) -> (Headers, Value) {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let headers = Headers(res.headers().clone());
    let body = res.bytes().await.unwrap();
    let v: Value =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
    assert!(v.is_object(), "{path} is a JSON object");
    (headers, v)
}

struct Headers(reqwest::header::HeaderMap);

impl Headers {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.to_str().unwrap().to_owned())
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is an array: {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("{key} holds strings"))
                .to_owned()
        })
        .collect()
}

fn set(v: &Value, key: &str) -> std::collections::BTreeSet<String> {
    strings(v, key).into_iter().collect()
}

fn expect_set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const ENDPOINTS: &[&str] = &[
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "revocation_endpoint",
    "introspection_endpoint",
];

/// The checks both metadata documents pass.
fn check_common(app: &TestApp, m: &Value) {
    assert_eq!(
        m["issuer"],
        app.settings.issuer.as_str(),
        "issuer equals the configured issuer exactly"
    );
    for k in ENDPOINTS {
        let url = m[*k].as_str().unwrap_or_else(|| panic!("{k} missing: {m}"));
        let parsed =
            url::Url::parse(url).unwrap_or_else(|e| panic!("{k} is absolute ({e}): {url}"));
        assert!(
            parsed.scheme() == "http" || parsed.scheme() == "https",
            "{k}: {url}"
        );
        assert!(
            url.starts_with(&format!("{}/", app.settings.issuer)),
            "{k} is under the issuer: {url}"
        );
    }
    assert_eq!(
        m["authorization_endpoint"],
        app.settings.endpoint("/authorize")
    );
    assert_eq!(m["token_endpoint"], app.settings.endpoint("/token"));
    assert_eq!(m["userinfo_endpoint"], app.settings.endpoint("/userinfo"));
    assert_eq!(m["jwks_uri"], app.settings.endpoint("/jwks"));
    assert_eq!(m["revocation_endpoint"], app.settings.endpoint("/revoke"));
    assert_eq!(
        m["introspection_endpoint"],
        app.settings.endpoint("/introspect")
    );
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(
        set(m, "response_modes_supported"),
        expect_set(&["query", "form_post"])
    );
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        set(m, "token_endpoint_auth_methods_supported"),
        expect_set(&["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        set(m, "grant_types_supported"),
        expect_set(&[
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    let scopes = set(m, "scopes_supported");
    for s in ["openid", "profile", "email", "offline_access"] {
        assert!(scopes.contains(s), "scopes_supported has {s}: {scopes:?}");
    }
    for s in ["address", "phone"] {
        assert!(
            !scopes.contains(s),
            "{s} is not implemented, so not advertised"
        );
    }
    assert_eq!(
        m["authorization_response_iss_parameter_supported"],
        json!(true)
    );
    // Booleans are JSON booleans, lists are lists.
    for (k, v) in m.as_object().unwrap() {
        if k.ends_with("_supported") {
            assert!(
                v.is_boolean() || v.is_array(),
                "{k} is a boolean or an array: {v}"
            );
        }
        if k.ends_with("_parameter_supported") || k.ends_with("_required") {
            assert!(v.is_boolean(), "{k} is a JSON boolean: {v}");
        }
        if k.ends_with("_endpoint") || k.ends_with("_uri") {
            assert!(
                v.as_str().is_some_and(|u| url::Url::parse(u).is_ok()),
                "{k} is an absolute URL: {v}"
            );
        }
    }
}

#[tokio::test]
async fn openid_configuration_lists_every_required_and_implemented_field() {
    let app = spawn_oidc_app().await;
    let (res, m) = get_json(&app, "/.well-known/openid-configuration").await;
    let ct = res.get("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{ct}");
    let cc = res
        .get("cache-control")
        .expect("Cache-Control on discovery");
    assert!(!cc.contains("no-store"), "discovery may be cached: {cc}");
    check_common(&app, &m);
    assert_eq!(m["subject_types_supported"], json!(["public"]));
    assert_eq!(
        set(&m, "id_token_signing_alg_values_supported"),
        expect_set(&["RS256", "ES256", "EdDSA"])
    );
    assert!(strings(&m, "id_token_signing_alg_values_supported").contains(&"RS256".to_owned()));
    assert_eq!(m["request_parameter_supported"], json!(false));
    assert_eq!(m["request_uri_parameter_supported"], json!(false));
    let claims = set(&m, "claims_supported");
    for c in [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "name",
        "preferred_username",
        "email",
        "email_verified",
        "updated_at",
    ] {
        assert!(claims.contains(c), "claims_supported has {c}: {claims:?}");
    }
    if let Some(algs) = m.get("request_object_signing_alg_values_supported") {
        assert!(
            !algs.as_array().unwrap().iter().any(|a| a == "none"),
            "request objects are not processed"
        );
    }
}

#[tokio::test]
async fn every_advertised_endpoint_is_served() {
    let app = spawn_oidc_app().await;
    let (_, m) = get_json(&app, "/.well-known/openid-configuration").await;
    for (k, v) in m.as_object().unwrap() {
        if !(k.ends_with("_endpoint") || k == "jwks_uri") {
            continue;
        }
        let url = v.as_str().unwrap();
        let get = reqwest::Client::new()
            .get(url)
            .send()
            .await
            .unwrap()
            .status();
        let post = reqwest::Client::new()
            .post(url)
            .send()
            .await
            .unwrap()
            .status();
        assert!(get != 404 || post != 404, "{k} = {url} is not served");
    }
}

#[tokio::test]
async fn oauth_authorization_server_metadata_matches_rfc_8414() {
    let app = spawn_oidc_app().await;
    let (res, m) = get_json(&app, "/.well-known/oauth-authorization-server").await;
    assert!(
        res.get("cache-control").is_some(),
        "Cache-Control on RFC 8414 metadata"
    );
    check_common(&app, &m);
    let (_, oidc) = get_json(&app, "/.well-known/openid-configuration").await;
    for k in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
    ] {
        assert_eq!(m[k], oidc[k], "{k} agrees with OpenID discovery");
    }
}

#[tokio::test]
async fn discovery_issuer_follows_the_configured_issuer_exactly() {
    let app =
        crate::support::spawn_oidc_app_with(|s| s.issuer = "https://login.example/tenant-a".into())
            .await;
    let (_, m) = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(m["issuer"], "https://login.example/tenant-a");
    assert_eq!(m["token_endpoint"], "https://login.example/tenant-a/token");
    check_common(&app, &m);
}

#[tokio::test]
async fn jwks_has_three_public_signing_keys_with_unique_kids() {
    let app = spawn_oidc_app().await;
    let (res, jwks) = get_json(&app, "/jwks").await;
    assert!(
        res.get("cache-control").is_some(),
        "Cache-Control on the JWKS"
    );
    let ct = res.get("content-type").unwrap_or_default();
    assert!(
        ct.starts_with("application/json") || ct.starts_with("application/jwk-set+json"),
        "{ct}"
    );
    let keys = jwks["keys"].as_array().expect("a keys array");
    assert_eq!(keys.len(), 3, "one key per algorithm: {jwks}");
    let mut kids = std::collections::BTreeSet::new();
    let mut algs = std::collections::BTreeSet::new();
    for k in keys {
        let kid = k["kid"].as_str().unwrap_or_default();
        assert!(!kid.trim().is_empty(), "non-blank kid: {k}");
        assert!(kids.insert(kid.to_owned()), "kid {kid} is unique");
        algs.insert(k["alg"].as_str().expect("alg").to_owned());
        assert_eq!(k["use"], "sig", "{k}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(k.get(private).is_none(), "private member {private} in {k}");
        }
        let kty = k["kty"].as_str().expect("kty");
        assert_ne!(kty, "oct", "no symmetric keys");
        let members: &[&str] = match kty {
            "RSA" => &["n", "e"],
            "EC" => &["crv", "x", "y"],
            "OKP" => &["crv", "x"],
            other => panic!("unexpected kty {other}"),
        };
        for m in members {
            let v = k[*m]
                .as_str()
                .unwrap_or_else(|| panic!("{kty} key lacks {m}: {k}"));
            if *m != "crv" {
                assert!(is_base64url(v), "{m} is unpadded base64url: {v}");
            }
        }
    }
    assert_eq!(algs, expect_set(&["RS256", "ES256", "EdDSA"]));
}

#[tokio::test]
async fn id_tokens_name_a_kid_from_the_jwks() {
    let app = spawn_oidc_app().await;
    let secret = crate::support::add_client(&app, &crate::support::ClientSpec::default()).unwrap();
    let t = tokens(&app, "app", Some(&secret), &[]).await;
    let (_, jwks) = get_json(&app, "/jwks").await;
    for token in [str_of(&t, "id_token"), str_of(&t, "access_token")] {
        let h = jwt_header(token);
        let key = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == h["kid"])
            .unwrap_or_else(|| panic!("kid {} is in the JWKS", h["kid"]));
        assert_eq!(key["alg"], h["alg"]);
    }
}

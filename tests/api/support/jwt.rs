//! JWTs: reading them without checking signatures (conformance/oidc_rp.rs verifies them),
//! base64url, and forging them for the attack tests (minted with our own keys, or not).

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::JwsSigner;
use latchkey::clock::{Clock, SystemClock};
use latchkey::crypto::keys::{Alg, KeyMaterial, KeyRing};
use latchkey::crypto::{jwt, random};
use latchkey::store::keys;
use serde_json::{Value, json};

/// Unpadded base64url of some bytes.
pub fn b64(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// The decoded payload of a JWT (no signature check: conformance/oidc_rp.rs verifies signatures).
pub fn jwt_claims(token: &str) -> Value {
    jwt_part(token, 1)
}

pub fn jwt_header(token: &str) -> Value {
    jwt_part(token, 0)
}

fn jwt_part(token: &str, i: usize) -> Value {
    let part = token
        .split('.')
        .nth(i)
        .unwrap_or_else(|| panic!("not a JWT: {token}"));
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("JWT part is base64url");
    serde_json::from_slice(&bytes).expect("JWT part is JSON")
}

/// Every key the server signs and verifies with, read from its database.
pub fn key_materials(app: &TestApp) -> Vec<KeyMaterial> {
    app.store
        .read(|c| keys::list_keys(c, 0))
        .expect("read the signing keys")
}

/// The server's newest active key for `alg` (private part included).
pub fn our_key(app: &TestApp, alg: Alg) -> KeyMaterial {
    key_materials(app)
        .into_iter()
        .rfind(|k| k.alg == alg && k.retired_at.is_none())
        .unwrap_or_else(|| panic!("no active {alg:?} key"))
}

/// Sign `claims` with the server's own RS256 key through latchkey's own signer, so only what the
/// test changed in the claims (or `typ`) is wrong. Claims of the wrong JSON type, which that
/// signer refuses to write, are signed by hand with the same key and header.
pub fn mint(app: &TestApp, typ: &str, claims: &Value) -> String {
    let ring = KeyRing::load(&key_materials(app)).expect("load our keys");
    let map = claims.as_object().expect("claims are an object").clone();
    match jwt::sign(&ring, Alg::RS256, typ, map) {
        Ok(token) => token,
        Err(_) => {
            let key = our_key(app, Alg::RS256);
            let signer = josekit::jws::RS256
                .signer_from_pem(&key.private_pem)
                .expect("our RS256 key");
            let header = json!({ "alg": "RS256", "kid": key.kid, "typ": typ });
            compact(&header, claims, Some(&signer))
        }
    }
}

/// A JWS in compact form with exactly this header, signed over `header.payload` by `signer`
/// (no signer: an empty signature).
pub fn compact(header: &Value, claims: &Value, signer: Option<&dyn JwsSigner>) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let sig = signer
        .map(|s| s.sign(input.as_bytes()).expect("sign"))
        .unwrap_or_default();
    format!("{input}.{}", b64(sig))
}

/// `header` with `typ` added unless it already has one.
pub fn typed(header: &Value, typ: &str) -> Value {
    let mut h = header.clone();
    let map = h.as_object_mut().expect("header is an object");
    if !map.contains_key("typ") {
        map.insert("typ".into(), typ.into());
    }
    h
}

/// A server where alice is signed in (the app's cookie jar holds her session) and holds the
/// tokens `app` got for her: every place that accepts a token, ready to be attacked.
pub struct Victim {
    pub app: TestApp,
    pub secret: String,
    pub access: String,
    pub id: String,
    pub rs_kid: String,
}

impl Victim {
    pub fn access_claims(&self) -> Value {
        jwt_claims(&self.access)
    }

    /// The access token's claims with a fresh `jti`.
    pub fn fresh_access_claims(&self) -> Value {
        with_claims(&self.access_claims(), &[("jti", random::token().into())])
    }

    pub fn id_claims(&self) -> Value {
        jwt_claims(&self.id)
    }

    /// Forge an access token and an ID token with `header` (the right `typ` added unless it has
    /// one) over the genuine claims, signed by `signer`, and show that nothing accepts them.
    pub async fn refused_everywhere(
        &self,
        what: &str,
        header: Value,
        signer: Option<&dyn JwsSigner>,
    ) {
        let at = compact(&typed(&header, "at+jwt"), &self.access_claims(), signer);
        self.refused_as_access_token(what, &at).await;
        let idt = compact(&typed(&header, "JWT"), &self.id_claims(), signer);
        self.refused_as_id_token_hint(what, &idt).await;
    }

    /// userinfo: 401 invalid_token; introspection: exactly `{"active": false}`.
    pub async fn refused_as_access_token(&self, what: &str, token: &str) {
        let res = userinfo(&self.app, token).await;
        let status = res.status();
        let challenge = header(&res, "www-authenticate").unwrap_or_default();
        let body = res.text().await.unwrap_or_default();
        assert_eq!(status, 401, "{what}: userinfo must refuse it, got {body}");
        assert!(
            challenge.contains("invalid_token"),
            "{what}: a Bearer invalid_token challenge, got {challenge:?}"
        );
        assert_eq!(
            introspect(&self.app, &self.secret, token).await,
            json!({ "active": false }),
            "{what}: introspection must call it inactive"
        );
    }

    /// As id_token_hint: /authorize with prompt=none answers invalid_request (no code), /logout
    /// (GET and POST) shows an error page and never redirects.
    pub async fn refused_as_id_token_hint(&self, what: &str, token: &str) {
        self.refused_at_authorize(what, token).await;
        self.refused_at_logout(what, token, &[]).await;
    }

    pub async fn refused_at_authorize(&self, what: &str, token: &str) {
        let app = &self.app;
        let url = AuthReq::new("app")
            .set("prompt", "none")
            .set("id_token_hint", token)
            .url(app);
        let res = browse(app, &url).await;
        assert!(
            res.status() == 302 && query_param(&location(&res), "error").is_some(),
            "{what}: /authorize must refuse the hint, got {} {:?}",
            res.status(),
            res.headers().get("location")
        );
        assert_redirect_error(app, &res, "invalid_request", Some(STATE));
    }

    /// /logout with the hint (and `extra` parameters), by GET and by POST: an error page.
    pub async fn refused_at_logout(&self, what: &str, token: &str, extra: &[(&str, &str)]) {
        let app = &self.app;
        let mut form = vec![
            ("id_token_hint", token),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "s"),
        ];
        form.extend_from_slice(extra);
        let get = browse(
            app,
            &format!("/logout?{}", serde_urlencoded::to_string(&form).unwrap()),
        )
        .await;
        let post = app
            .client
            .post(app.url("/logout"))
            .form(&form)
            .send()
            .await
            .expect("POST /logout");
        for (method, res) in [("GET", get), ("POST", post)] {
            assert_eq!(res.status(), 400, "{what}: {method} /logout must refuse it");
            assert!(
                res.headers().get("location").is_none(),
                "{what}: {method} /logout must not redirect"
            );
        }
    }

    /// The genuine tokens still work and alice is still signed in: the attacks changed nothing.
    pub async fn unharmed(&self) {
        let res = userinfo(&self.app, &self.access).await;
        assert_eq!(res.status(), 200, "the genuine access token still works");
        assert!(signed_in(&self.app).await, "alice is still signed in");
    }
}

pub async fn victim() -> Victim {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).expect("a confidential client");
    add_client(&app, &other_spec());
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid profile email")],
    )
    .await;
    let access = str_of(&t, "access_token").to_owned();
    let id = str_of(&t, "id_token").to_owned();
    let (ah, ih) = (jwt_header(&access), jwt_header(&id));
    assert_eq!(ah["alg"], "RS256");
    assert_eq!(ih["alg"], "RS256");
    assert_eq!(ah["kid"], ih["kid"]);
    let rs_kid = ah["kid"].as_str().expect("kid").to_owned();
    let v = Victim {
        app,
        secret,
        access,
        id,
        rs_kid,
    };

    // Controls: the genuine tokens, copies re-signed by hand with our own key, and tokens minted
    // through latchkey's signer pass every check, so each refusal below is the attack's doing.
    let key = our_key(&v.app, Alg::RS256);
    let ours = josekit::jws::RS256
        .signer_from_pem(&key.private_pem)
        .expect("our RS256 key");
    let header = json!({ "alg": "RS256", "kid": v.rs_kid });
    let resigned_at = compact(
        &typed(&header, "at+jwt"),
        &v.fresh_access_claims(),
        Some(&ours),
    );
    let resigned_id = compact(&typed(&header, "JWT"), &v.id_claims(), Some(&ours));
    let minted_at = mint(&v.app, "at+jwt", &v.fresh_access_claims());
    let minted_id = mint(&v.app, "JWT", &v.id_claims());
    for at in [&v.access, &resigned_at, &minted_at] {
        assert_eq!(userinfo(&v.app, at).await.status(), 200, "control {at}");
        assert_eq!(
            introspect(&v.app, &v.secret, at).await["active"],
            true,
            "control"
        );
    }
    for idt in [&v.id, &resigned_id, &minted_id] {
        let url = AuthReq::new("app")
            .set("prompt", "none")
            .set("id_token_hint", idt)
            .url(&v.app);
        let loc = location(&browse(&v.app, &url).await);
        assert!(
            query_param(&loc, "code").is_some(),
            "control: a genuine hint is accepted: {loc}"
        );
    }
    v
}

pub fn unix_now() -> i64 {
    SystemClock.now()
}

/// `claims` with `changes` applied; a `Null` removes the claim.
pub fn with_claims(claims: &Value, changes: &[(&str, Value)]) -> Value {
    let mut out = claims.clone();
    let map = out.as_object_mut().expect("claims are an object");
    for (k, v) in changes {
        if v.is_null() {
            map.remove(*k);
        } else {
            map.insert((*k).to_owned(), v.clone());
        }
    }
    out
}

/// Verify a JWT's signature with the key the JWKS publishes under its `kid`, as an RP would.
pub async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    let header = jwt_header(token);
    let jwks: Value = browse(app, "/jwks").await.json().await.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the token's kid is published");
    assert_eq!(header["alg"], "RS256");
    let jwk = josekit::jwk::Jwk::from_bytes(jwk.to_string().as_bytes()).unwrap();
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jwt::decode_with_verifier(token, &verifier)
        .expect("the signature verifies with the published key");
    serde_json::to_value(payload.claims_set()).unwrap()
}

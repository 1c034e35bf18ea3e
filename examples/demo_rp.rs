//! A tiny demo relying party ("RP A" of the browser end-to-end tests in `tests/e2e`), built on
//! the `openidconnect` crate: discovery, the code flow with PKCE, state and nonce, a verified ID
//! token, RP-initiated logout and back-channel logout. Its page shows who is signed in.
//!
//! ```sh
//! DEMO_RP_ISSUER=http://127.0.0.1:8080 DEMO_RP_CLIENT_ID=demo DEMO_RP_CLIENT_SECRET=... \
//!   DEMO_RP_PORT=9000 cargo run --example demo_rp
//! ```
//! Register it with `latchkey client add demo --redirect-uri http://127.0.0.1:9000/callback
//! --post-logout-redirect-uri http://127.0.0.1:9000/
//! --backchannel-logout-uri http://127.0.0.1:9000/backchannel_logout`.
//!
//! Routes: `/` (who is signed in), `/login`, `/callback`, `/logout`, `POST /backchannel_logout`.
//! Sessions live in memory, keyed by a random cookie. Only for tests and demos: it listens on
//! 127.0.0.1 over plain HTTP.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IssuerUrl, JsonWebKey,
    JsonWebKeySetUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

#[derive(Parser, Debug)]
#[command(about = "A demo OpenID Connect relying party (openidconnect crate) for latchkey")]
struct Args {
    /// The OpenID provider's issuer URL.
    #[arg(long, env = "DEMO_RP_ISSUER")]
    issuer: String,
    /// This app's client id at the provider.
    #[arg(long, env = "DEMO_RP_CLIENT_ID")]
    client_id: String,
    /// This app's client secret (prefer the environment variable).
    #[arg(long, env = "DEMO_RP_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Port to listen on, on 127.0.0.1.
    #[arg(long, env = "DEMO_RP_PORT")]
    port: u16,
    /// The name shown on this app's pages.
    #[arg(long, env = "DEMO_RP_NAME", default_value = "Demo A")]
    name: String,
}

/// The `sid` claim (OIDC Front-/Back-Channel Logout) on top of the standard ID token claims.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct SidClaims {
    sid: Option<String>,
}
impl AdditionalClaims for SidClaims {}

type SidIdToken =
    IdToken<SidClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

type RpClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A sign-in in progress, for the browser holding the cookie.
struct Pending {
    state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

/// A signed-in browser.
struct Signed {
    username: String,
    sub: String,
    sid: Option<String>,
    id_token: SidIdToken,
}

#[derive(Default)]
struct Sessions {
    pending: HashMap<String, Pending>,
    signed: HashMap<String, Signed>,
    logout_states: HashSet<String>,
}

struct Rp {
    name: String,
    base: String,
    cookie: String,
    issuer: String,
    client_id: String,
    client: RpClient,
    http: openidconnect::reqwest::Client,
    end_session: Option<EndSessionUrl>,
    jwks_url: JsonWebKeySetUrl,
    jwks: Mutex<CoreJsonWebKeySet>,
    sessions: Mutex<Sessions>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(rp: &Rp, status: StatusCode, body: &str) -> HttpResponse {
    let name = esc(&rp.name);
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{name}</title></head>\n<body><h1>{name}</h1>\n{body}\n</body></html>\n"
        ))
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", to))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn new_id() -> String {
    CsrfToken::new_random().secret().clone()
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

impl Rp {
    fn browser(&self, req: &HttpRequest) -> Option<String> {
        req.cookie(&self.cookie).map(|c| c.value().to_owned())
    }

    fn set_browser(&self, res: &mut HttpResponse, id: &str) {
        let c = Cookie::build(self.cookie.clone(), id.to_owned())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .finish();
        let _ = res.add_cookie(&c);
    }

    fn failed(&self, status: StatusCode, why: &str) -> HttpResponse {
        page(
            self,
            status,
            &format!(
                "<p id=\"status\" role=\"alert\">Sign-in failed: {}</p>\n<p><a href=\"/\">Back</a></p>",
                esc(why)
            ),
        )
    }
}

async fn home(req: HttpRequest, rp: web::Data<Rp>) -> HttpResponse {
    let q = query(&req);
    let id = rp.browser(&req);
    let mut s = rp.sessions.lock().expect("sessions lock");
    let signed_out_now = q.get("state").is_some_and(|st| s.logout_states.remove(st));
    let body = match id.as_deref().and_then(|id| s.signed.get(id)) {
        Some(u) => format!(
            "<p id=\"status\">Signed in as <strong id=\"username\">{}</strong></p>\n\
             <p class=\"small\">sub <code id=\"sub\">{}</code>, sid <code id=\"sid\">{}</code></p>\n\
             <p><a href=\"/logout\" id=\"logout\">Sign out</a></p>",
            esc(&u.username),
            esc(&u.sub),
            esc(u.sid.as_deref().unwrap_or("-")),
        ),
        None => format!(
            "{}<p id=\"status\">Not signed in</p>\n<p><a href=\"/login\" id=\"login\">Sign in</a></p>",
            if signed_out_now {
                "<p id=\"notice\">You have signed out.</p>\n"
            } else {
                ""
            }
        ),
    };
    drop(s);
    page(&rp, StatusCode::OK, &body)
}

async fn login(req: HttpRequest, rp: web::Data<Rp>) -> HttpResponse {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let id = rp.browser(&req).unwrap_or_else(new_id);
    rp.sessions.lock().expect("sessions lock").pending.insert(
        id.clone(),
        Pending {
            state,
            nonce,
            verifier,
        },
    );
    let mut res = redirect(url.as_str());
    rp.set_browser(&mut res, &id);
    res
}

async fn callback(req: HttpRequest, rp: web::Data<Rp>) -> HttpResponse {
    let q = query(&req);
    let pending = rp.browser(&req).and_then(|id| {
        rp.sessions
            .lock()
            .expect("sessions lock")
            .pending
            .remove(&id)
    });
    let Some(pending) = pending else {
        return rp.failed(StatusCode::BAD_REQUEST, "no sign-in in progress");
    };
    if q.get("state").map(String::as_str) != Some(pending.state.secret().as_str()) {
        return rp.failed(StatusCode::BAD_REQUEST, "state mismatch");
    }
    // RFC 9207: the provider names itself in every authorization response.
    if let Some(iss) = q.get("iss")
        && *iss != rp.issuer
    {
        return rp.failed(StatusCode::BAD_REQUEST, "iss mismatch");
    }
    if let Some(error) = q.get("error") {
        return rp.failed(StatusCode::OK, error);
    }
    let Some(code) = q.get("code") else {
        return rp.failed(StatusCode::BAD_REQUEST, "no code");
    };
    let exchange = match rp
        .client
        .exchange_code(AuthorizationCode::new(code.clone()))
    {
        Ok(r) => r,
        Err(e) => return rp.failed(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let tokens = match exchange
        .set_pkce_verifier(pending.verifier)
        .request_async(&rp.http)
        .await
    {
        Ok(t) => t,
        Err(e) => return rp.failed(StatusCode::BAD_GATEWAY, &format!("token request: {e}")),
    };
    let Some(raw) = tokens.id_token() else {
        return rp.failed(StatusCode::BAD_GATEWAY, "no ID token");
    };
    // Parse once more with the `sid` claim in view; `claims` verifies signature, iss, aud,
    // exp and nonce.
    let id_token: SidIdToken = match raw.to_string().parse() {
        Ok(t) => t,
        Err(e) => return rp.failed(StatusCode::BAD_GATEWAY, &format!("ID token: {e}")),
    };
    let verifier = rp.client.id_token_verifier();
    let (username, sub, sid) = match id_token.claims(&verifier, &pending.nonce) {
        Ok(c) => (
            c.preferred_username()
                .map(|u| u.to_string())
                .unwrap_or_else(|| c.subject().to_string()),
            c.subject().to_string(),
            c.additional_claims().sid.clone(),
        ),
        Err(e) => {
            return rp.failed(StatusCode::BAD_GATEWAY, &format!("ID token not valid: {e}"));
        }
    };
    eprintln!(
        "demo_rp {}: signed in {username} (sid {sid:?})",
        rp.client_id
    );
    let id = new_id();
    rp.sessions.lock().expect("sessions lock").signed.insert(
        id.clone(),
        Signed {
            username,
            sub,
            sid,
            id_token,
        },
    );
    let mut res = redirect("/");
    rp.set_browser(&mut res, &id);
    res
}

async fn logout(req: HttpRequest, rp: web::Data<Rp>) -> HttpResponse {
    let signed = rp.browser(&req).and_then(|id| {
        rp.sessions
            .lock()
            .expect("sessions lock")
            .signed
            .remove(&id)
    });
    let (Some(signed), Some(endpoint)) = (signed, rp.end_session.clone()) else {
        return redirect("/");
    };
    let state = CsrfToken::new_random();
    rp.sessions
        .lock()
        .expect("sessions lock")
        .logout_states
        .insert(state.secret().clone());
    let back = PostLogoutRedirectUrl::new(format!("{}/", rp.base)).expect("valid URL");
    let url = LogoutRequest::from(endpoint)
        .set_id_token_hint(&signed.id_token)
        .set_post_logout_redirect_uri(back)
        .set_state(state)
        .http_get_url();
    redirect(url.as_str())
}

#[derive(Deserialize)]
struct LogoutForm {
    logout_token: String,
}

async fn backchannel_logout(rp: web::Data<Rp>, form: web::Form<LogoutForm>) -> HttpResponse {
    let claims = match verify_logout_token(&rp, &form.logout_token).await {
        Ok(c) => c,
        Err(why) => {
            eprintln!("demo_rp {}: refused a logout token: {why}", rp.client_id);
            return HttpResponse::BadRequest()
                .insert_header(("Cache-Control", "no-store"))
                .json(serde_json::json!({"error": "invalid_request", "error_description": why}));
        }
    };
    let sid = claims.get("sid").and_then(Value::as_str);
    let sub = claims.get("sub").and_then(Value::as_str);
    let mut s = rp.sessions.lock().expect("sessions lock");
    let before = s.signed.len();
    s.signed.retain(|_, u| match sid {
        Some(sid) => u.sid.as_deref() != Some(sid),
        None => Some(u.sub.as_str()) != sub,
    });
    let ended = before - s.signed.len();
    drop(s);
    eprintln!(
        "demo_rp {}: back-channel logout for sid {sid:?} ended {ended} session(s)",
        rp.client_id
    );
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn b64_json(part: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| format!("bad base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("bad JSON: {e}"))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// OIDC Back-Channel Logout 1.0 §2.6: signature from a key in the provider's JWKS, iss, aud,
/// iat/exp, the back-channel logout event, a sid or sub, and no nonce.
async fn verify_logout_token(
    rp: &Rp,
    token: &str,
) -> Result<serde_json::Map<String, Value>, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err("not a JWS in compact form".into());
    };
    let header = b64_json(h)?;
    let alg: CoreJwsSigningAlgorithm =
        serde_json::from_value(header["alg"].clone()).map_err(|e| format!("unknown alg: {e}"))?;
    if matches!(
        alg,
        CoreJwsSigningAlgorithm::None
            | CoreJwsSigningAlgorithm::HmacSha256
            | CoreJwsSigningAlgorithm::HmacSha384
            | CoreJwsSigningAlgorithm::HmacSha512
    ) {
        return Err(format!("alg {alg:?} is not allowed"));
    }
    if let Some(typ) = header.get("typ").and_then(Value::as_str) {
        let typ = typ.to_ascii_lowercase();
        if typ != "logout+jwt" && typ != "application/logout+jwt" {
            return Err(format!("typ {typ} is not logout+jwt"));
        }
    }
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| format!("bad signature encoding: {e}"))?;
    let message = format!("{h}.{p}");

    let check = |set: &CoreJsonWebKeySet| -> Option<bool> {
        let mut candidates = set
            .keys()
            .iter()
            .filter(|k| kid.is_none() || k.key_id().map(|id| id.as_str()) == kid.as_deref())
            .peekable();
        candidates.peek()?;
        Some(candidates.any(|k| {
            k.verify_signature(&alg, message.as_bytes(), &signature)
                .is_ok()
        }))
    };
    let known = check(&rp.jwks.lock().expect("jwks lock"));
    let verified = match known {
        Some(ok) => ok,
        None => {
            // An unknown kid: the provider may have rotated its keys. Fetch the JWKS again.
            let fresh = CoreJsonWebKeySet::fetch_async(&rp.jwks_url, &rp.http)
                .await
                .map_err(|e| format!("fetching the JWKS: {e}"))?;
            let ok = check(&fresh).unwrap_or(false);
            *rp.jwks.lock().expect("jwks lock") = fresh;
            ok
        }
    };
    if !verified {
        return Err("signature does not verify with any key of the provider's JWKS".into());
    }

    let Value::Object(claims) = b64_json(p)? else {
        return Err("claims are not a JSON object".into());
    };
    if claims.get("iss").and_then(Value::as_str) != Some(rp.issuer.as_str()) {
        return Err("wrong iss".into());
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => *a == rp.client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&rp.client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err("wrong aud".into());
    }
    let t = now();
    match claims.get("iat").and_then(Value::as_i64) {
        Some(iat) if iat <= t + 60 => {}
        _ => return Err("missing or future iat".into()),
    }
    if let Some(exp) = claims.get("exp")
        && exp.as_i64().is_none_or(|exp| exp + 60 < t)
    {
        return Err("expired".into());
    }
    if !claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|e| e.get(BACKCHANNEL_EVENT))
        .is_some_and(Value::is_object)
    {
        return Err("no back-channel logout event".into());
    }
    if claims.contains_key("nonce") {
        return Err("a logout token must not have a nonce".into());
    }
    if !claims.contains_key("sid") && !claims.contains_key("sub") {
        return Err("neither sid nor sub".into());
    }
    Ok(claims)
}

async fn discover(
    issuer: &IssuerUrl,
    http: &openidconnect::reqwest::Client,
) -> Result<ProviderMetadataWithLogout, String> {
    let mut last = String::new();
    for _ in 0..40 {
        match ProviderMetadataWithLogout::discover_async(issuer.clone(), http).await {
            Ok(m) => return Ok(m),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("discovery at {} failed: {last}", issuer.as_str()))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let fail = |msg: String| -> std::io::Error {
        eprintln!("demo_rp: {msg}");
        std::io::Error::other(msg)
    };
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let issuer = IssuerUrl::new(args.issuer.clone()).map_err(|e| fail(e.to_string()))?;
    let meta = discover(&issuer, &http).await.map_err(fail)?;
    let end_session = meta.additional_metadata().end_session_endpoint.clone();
    let jwks_url = meta.jwks_uri().clone();
    let jwks = meta.jwks().clone();
    let base = format!("http://127.0.0.1:{}", args.port);
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(args.client_id.clone()),
        Some(ClientSecret::new(args.client_secret.clone())),
    )
    .set_redirect_uri(
        RedirectUrl::new(format!("{base}/callback")).map_err(|e| fail(e.to_string()))?,
    );
    let rp = web::Data::new(Rp {
        cookie: format!(
            "demo_rp_{}",
            args.client_id
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
        ),
        name: args.name,
        base,
        issuer: issuer.as_str().to_owned(),
        client_id: args.client_id,
        client,
        http,
        end_session,
        jwks_url,
        jwks: Mutex::new(jwks),
        sessions: Mutex::new(Sessions::default()),
    });
    eprintln!(
        "demo_rp {}: listening on http://127.0.0.1:{}",
        rp.client_id, args.port
    );
    HttpServer::new(move || {
        App::new()
            .app_data(rp.clone())
            .route("/", web::get().to(home))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/logout", web::get().to(logout))
            .route("/backchannel_logout", web::post().to(backchannel_logout))
    })
    .workers(1)
    .bind(("127.0.0.1", args.port))?
    .run()
    .await
}

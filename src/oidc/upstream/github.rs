//! The `kind = "github"` preset. GitHub speaks OAuth 2, not OpenID Connect: there is no ID
//! token, so the person is who GitHub's API says the token belongs to (`GET /user`), and the
//! only email that counts is the verified primary one (`GET /user/emails`).
//!
//! github.com: sign-in pages at `https://github.com/login/oauth/*`, the API at
//! `https://api.github.com`. GitHub Enterprise Server (`api_url = "https://HOST/api/v3"`): the
//! pages at `https://HOST/login/oauth/*`.

use super::{Entry, Identity, UpstreamError};
use crate::config::Upstream;
use serde::Deserialize;

/// The authorization URL: client id, redirect URI, scopes, state and the S256 challenge.
pub fn authorization_url(up: &Upstream, redirect: &str, state: &str, verifier: &str) -> String {
    let challenge = super::client::pkce_challenge(verifier);
    let query = serde_urlencoded::to_string([
        ("client_id", up.client_id.as_str()),
        ("redirect_uri", redirect),
        ("scope", &up.scopes.join(" ")),
        ("state", state),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ])
    .unwrap_or_default();
    format!("{}/login/oauth/authorize?{query}", up.issuer)
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

async fn body(
    res: Result<reqwest::Response, reqwest::Error>,
    what: &str,
) -> Result<Vec<u8>, UpstreamError> {
    let res = res.map_err(|e| UpstreamError::Unreachable(format!("{what}: {e}")))?;
    let status = res.status();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| UpstreamError::Unreachable(format!("{what}: {e}")))?;
    if status.is_server_error() {
        return Err(UpstreamError::Unreachable(format!("{what}: HTTP {status}")));
    }
    if !status.is_success() {
        return Err(UpstreamError::Refused(format!("{what}: HTTP {status}")));
    }
    Ok(bytes.to_vec())
}

fn json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, UpstreamError> {
    serde_json::from_slice(bytes).map_err(|e| UpstreamError::Malformed(format!("{what}: {e}")))
}

/// Redeem the code, then ask the API who the token belongs to.
pub async fn identity(
    entry: &Entry,
    api_url: &str,
    http: &reqwest::Client,
    redirect: &str,
    code: &str,
    verifier: &str,
) -> Result<Identity, UpstreamError> {
    let up = &entry.config;
    let form = [
        ("client_id", up.client_id.as_str()),
        ("client_secret", entry.secret.as_str()),
        ("code", code),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ];
    let sent = http
        .post(format!("{}/login/oauth/access_token", up.issuer))
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await;
    let answer: TokenAnswer = json(&body(sent, "token").await?, "token")?;
    // GitHub answers a refused code with 200 and an `error` member.
    let token = match (answer.access_token, answer.error) {
        (Some(t), None) if !t.is_empty() => t,
        (_, err) => {
            return Err(UpstreamError::Refused(format!(
                "{}: {}",
                err.unwrap_or_else(|| "no access_token".into()),
                answer.error_description.unwrap_or_default()
            )));
        }
    };
    let get = |path: &str| {
        http.get(format!("{api_url}{path}"))
            .bearer_auth(&token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
    };
    let user: User = json(&body(get("/user").await, "user").await?, "user")?;
    let emails: Vec<Email> = json(&body(get("/user/emails").await, "emails").await?, "emails")?;
    let email = emails.into_iter().find(|e| e.primary && e.verified);
    Ok(Identity {
        upstream: up.id.clone(),
        issuer: up.issuer.clone(),
        subject: user.id.to_string(),
        email_verified: email.is_some(),
        email: email.map(|e| e.email),
        preferred_username: Some(user.login),
        name: user.name.filter(|n| !n.is_empty()),
        groups: None,
        acr: None,
        amr: Vec::new(),
    })
}

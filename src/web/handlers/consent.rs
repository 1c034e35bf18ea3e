//! The consent page (GET) and decision (POST).

use super::authorize::{Outcome, deny, expired, respond, see_other};
use crate::domain::ScopeSet;
use crate::oidc::authorize::{self as az, Reply};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::{access, login, resource};
use crate::state::AppState;
use crate::store::{StoreError, audit, consents};
use crate::web::templates::{ConsentPage, Page};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_consent(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let handle = extract::query(&req).get("req").unwrap_or("").to_owned();
    let cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let h = handle.clone();
    let loaded = web::block(move || -> Result<_, StoreError> {
        let now = st.clock.now();
        let pending = st.store.read(|c| az::unpark(c, &h, now))?;
        let session = match cookie {
            Some(ck) => st
                .store
                .read(|c| login::current_session(c, &ck, &st.settings, now))?,
            None => None,
        };
        // What will be released, to the ID token and userinfo alike, including what the
        // `claims` parameter adds to the scopes.
        let lines = match &pending {
            Some((areq, _)) => st
                .store
                .read(|c| resource::describe_scopes(c, &areq.consent_scopes()))?,
            None => Vec::new(),
        };
        Ok((pending, session, lines))
    })
    .await;
    let (pending, session, lines) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return error::internal(e),
        Err(e) => return error::internal(e),
    };
    let Some((areq, client)) = pending else {
        return expired();
    };
    let now = state.clock.now();
    let user = match session {
        Some((s, user)) if !az::login_needed(&areq, &s, &user, now) => user,
        _ => return see_other(&format!("/login?req={handle}")),
    };

    let (token, cookie) = csrf::token_for_form(&req, &state.settings);
    let destination =
        headers::origin_of(&areq.redirect_uri).unwrap_or_else(|| areq.redirect_uri.clone());
    let body = ConsentPage {
        app_name: &client.name,
        username: &user.username,
        scopes: lines,
        csrf: &token,
        req: &handle,
        destination: &destination,
    }
    .render_html();
    let mut res = headers::html(
        StatusCode::OK,
        body,
        std::slice::from_ref(&areq.redirect_uri),
    );
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

pub async fn post_consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let form = extract::form(&body);
    let handle = form.get("req").unwrap_or("").to_owned();
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        return error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Go back to the application you came from and start signing in again.",
        );
    }
    let allow = match form.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return error::page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "Choose Allow or Deny.",
            );
        }
    };
    let cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let outcome = web::block(move || -> Result<Outcome, StoreError> {
        let now = st.clock.now();
        let Some((areq, client)) = st.store.read(|c| az::unpark(c, &handle, now))? else {
            return Ok(Outcome::Expired);
        };
        let session = match cookie {
            Some(ck) => st
                .store
                .read(|c| login::current_session(c, &ck, &st.settings, now))?,
            None => None,
        };
        let (s, user) = match session {
            Some((s, user)) if !az::login_needed(&areq, &s, &user, now) => (s, user),
            _ => return Ok(Outcome::Local(format!("/login?req={handle}"))),
        };
        // Group membership may have changed since the page was shown.
        if !st.store.read(|c| access::may_use(c, &user, &client))? {
            return deny(&st, &areq, &client, &user, Some(&handle), "consent", now);
        }
        let reply = Reply::of(&areq);
        if !allow {
            st.store.write(|c| {
                az::forget(c, &handle)?;
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: now,
                        kind: "consent.denied".into(),
                        subject: Some(user.subject.clone()),
                        client_id: Some(client.client_id.clone()),
                        ..Default::default()
                    },
                )
            })?;
            let err = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            return Ok(Outcome::ToClient(
                reply.clone(),
                az::error_params(&err, &reply, &st.settings.issuer),
            ));
        }
        let code = st.store.write(|c| {
            let before = az::granted_scopes(c, user.id, client.id)?.unwrap_or_default();
            // Record what the page showed: the scopes and those of the claims asked for.
            let all: ScopeSet = before.union(&areq.consent_scopes());
            consents::upsert_consent(c, user.id, client.id, &all.to_string(), now)?;
            audit::insert_audit_event(
                c,
                &audit::AuditEvent {
                    at: now,
                    kind: "consent.given".into(),
                    actor: Some(user.username.clone()),
                    subject: Some(user.subject.clone()),
                    client_id: Some(client.client_id.clone()),
                    detail: Some(format!("{{\"scope\":\"{all}\"}}")),
                    ..Default::default()
                },
            )?;
            az::forget(c, &handle)?;
            az::issue_code(c, &areq, &s, &user, now)
        })?;
        Ok(Outcome::ToClient(
            reply.clone(),
            az::success_params(&code, &reply, &st.settings.issuer),
        ))
    })
    .await;
    respond(&state, outcome)
}

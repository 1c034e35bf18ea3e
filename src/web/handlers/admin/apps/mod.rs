//! /admin/apps: the registered apps (clients), one app's settings, a new app.

pub mod actions;
pub mod create;
pub mod list;
pub mod remove;
pub mod show;

use super::AdminCtx;
use crate::crypto::keys::Alg;
use crate::domain::DEFAULT_CLIENT_SCOPES;
use crate::domain::DEVICE_CODE;
use crate::oidc::admin::clients::{ClientDetail, ClientSettings, NewClient};
use crate::oidc::params::Params;
use crate::store::{StoreError, Tx, groups};
use crate::web::handlers::account::show_time;
use crate::web::templates::admin::apps::{AdminAppPage, AppForm, Choice};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/apps", web::get().to(list::get_apps))
        .route(
            "/admin/apps/{client_id}/check",
            web::get().to(super::app_check::get_app_check),
        )
        .route("/admin/apps", web::post().to(create::post_apps))
        .route("/admin/apps/new", web::get().to(create::get_new_app))
        .route("/admin/apps/{client_id}", web::get().to(show::get_app))
        .route(
            "/admin/apps/{client_id}/remove",
            web::get().to(remove::get_remove_app),
        )
        .route(
            "/admin/apps/{client_id}/remove",
            web::post().to(remove::post_remove_app),
        )
        .route(
            "/admin/apps/{client_id}/{action}",
            web::post().to(actions::post_app_action),
        );
}

const GRANTS: [(&str, &str); 4] = [
    ("authorization_code", "Authorization code (sign-in)"),
    ("refresh_token", "Refresh tokens"),
    (
        "client_credentials",
        "Client credentials (the app as itself)",
    ),
    (DEVICE_CODE, "Device code (TVs, command lines)"),
];

/// The form's grant, group and algorithm choices, ticked as `on` says.
fn choices(
    all_groups: &[String],
    grants_on: &[String],
    groups_on: &[String],
    alg: &str,
) -> (Vec<Choice>, Vec<Choice>, Vec<Choice>) {
    let grants = GRANTS
        .iter()
        .map(|(v, l)| Choice {
            value: (*v).into(),
            label: (*l).into(),
            checked: grants_on.iter().any(|g| g == v),
        })
        .collect();
    let groups = all_groups
        .iter()
        .map(|g| Choice {
            value: g.clone(),
            label: g.clone(),
            checked: groups_on.iter().any(|o| o.eq_ignore_ascii_case(g)),
        })
        .collect();
    let algs = [Alg::RS256, Alg::ES256, Alg::EdDSA]
        .iter()
        .map(|a| Choice {
            value: a.as_str().into(),
            label: a.as_str().into(),
            checked: a.as_str() == alg,
        })
        .collect();
    (grants, groups, algs)
}

pub(super) fn group_names(c: &Tx<'_>) -> Result<Vec<String>, StoreError> {
    Ok(groups::list_groups(c)?
        .into_iter()
        .map(|g| g.name)
        .collect())
}

/// The form for an app as stored.
pub(super) fn form_of(d: &ClientDetail, all_groups: &[String]) -> AppForm {
    let cl = &d.client;
    let (grants, groups, algs) = choices(
        all_groups,
        &cl.grant_types,
        &d.allowed_groups,
        &cl.id_token_alg,
    );
    AppForm {
        client_id: cl.client_id.clone(),
        name: cl.name.clone(),
        public: cl.is_public,
        redirect_uris: cl.redirect_uris.join("\n"),
        post_logout_redirect_uris: cl.post_logout_redirect_uris.join("\n"),
        backchannel_logout_uri: cl.backchannel_logout_uri.clone().unwrap_or_default(),
        web_origins: cl.extra_web_origins.join("\n"),
        scopes: cl.scopes.join(" "),
        grants,
        groups,
        algs,
        skip_consent: cl.skip_consent,
        require_pkce: cl.require_pkce,
        require_mfa: cl.require_mfa,
    }
}

/// The form as submitted (shown again with a refusal).
pub(super) fn form_from(f: &Params, all_groups: &[String]) -> AppForm {
    let grants_on: Vec<String> = f
        .suffixes("grant.")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let groups_on: Vec<String> = f
        .suffixes("group.")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let (grants, groups, algs) = choices(
        all_groups,
        &grants_on,
        &groups_on,
        f.get("id_token_alg").unwrap_or("RS256"),
    );
    let text = |k: &str| f.get(k).unwrap_or("").to_owned();
    AppForm {
        client_id: text("client_id"),
        name: text("name"),
        public: f.get("public") == Some("on"),
        redirect_uris: text("redirect_uris"),
        post_logout_redirect_uris: text("post_logout_redirect_uris"),
        backchannel_logout_uri: text("backchannel_logout_uri"),
        web_origins: text("web_origins"),
        scopes: text("scopes"),
        grants,
        groups,
        algs,
        skip_consent: f.get("skip_consent") == Some("on"),
        require_pkce: f.get("require_pkce") == Some("on"),
        require_mfa: f.get("require_mfa") == Some("on"),
    }
}

/// The empty form of a new app: the defaults `latchkey client add` has.
pub(super) fn new_form(all_groups: &[String]) -> AppForm {
    let defaults = ["authorization_code".to_owned(), "refresh_token".to_owned()];
    let (grants, groups, algs) = choices(all_groups, &defaults, &[], "RS256");
    AppForm {
        scopes: DEFAULT_CLIENT_SCOPES.into(),
        grants,
        groups,
        algs,
        require_pkce: true,
        ..Default::default()
    }
}

/// Lines of a textarea, trimmed, blank ones dropped.
pub(super) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A submitted new-app form as `latchkey client add` would take it.
pub(super) fn new_client(f: &Params) -> NewClient {
    let opt = |k: &str| {
        f.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    NewClient {
        client_id: f.get("client_id").unwrap_or("").trim().to_owned(),
        redirect_uris: lines(f.get("redirect_uris").unwrap_or("")),
        public: f.get("public") == Some("on"),
        post_logout_redirect_uris: lines(f.get("post_logout_redirect_uris").unwrap_or("")),
        name: opt("name"),
        backchannel_logout_uri: opt("backchannel_logout_uri"),
        grant_types: f
            .suffixes("grant.")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        scopes: opt("scopes").into_iter().collect(),
        skip_consent: f.get("skip_consent") == Some("on"),
        no_pkce: f.get("require_pkce") != Some("on"),
        id_token_alg: f.get("id_token_alg").unwrap_or("RS256").to_owned(),
        allowed_groups: f
            .suffixes("group.")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        web_origins: lines(f.get("web_origins").unwrap_or("")),
    }
}

/// A submitted settings form as the full desired state of the app.
pub(super) fn settings_from(f: &Params) -> ClientSettings {
    ClientSettings {
        name: f.get("name").unwrap_or("").trim().to_owned(),
        redirect_uris: lines(f.get("redirect_uris").unwrap_or("")),
        post_logout_redirect_uris: lines(f.get("post_logout_redirect_uris").unwrap_or("")),
        backchannel_logout_uri: f
            .get("backchannel_logout_uri")
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        grant_types: f
            .suffixes("grant.")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        scopes: f.get("scopes").into_iter().map(str::to_owned).collect(),
        allowed_groups: f
            .suffixes("group.")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        skip_consent: f.get("skip_consent") == Some("on"),
        require_pkce: f.get("require_pkce") == Some("on"),
        id_token_alg: f.get("id_token_alg").unwrap_or("RS256").to_owned(),
        web_origins: lines(f.get("web_origins").unwrap_or("")),
        require_mfa: f.get("require_mfa") == Some("on"),
    }
}

/// An app's page; `secret` is shown once (after creating it or rotating the secret).
pub(super) fn render(
    ctx: &AdminCtx,
    status: StatusCode,
    issuer: &str,
    d: &ClientDetail,
    form: AppForm,
    (message, error): (&str, &str),
    secret: &str,
) -> HttpResponse {
    let page = AdminAppPage {
        layout: ctx.layout("apps").with_message(message).with_error(error),
        path: super::enc(&d.client.client_id),
        form,
        issuer: issuer.to_owned(),
        created: show_time(d.client.created_at),
        api_grants: d
            .api_grants
            .iter()
            .map(|(api, scope)| format!("{api}: {scope}"))
            .collect(),
        secret: secret.to_owned(),
    };
    ctx.render(status, &page)
}

/// The notice for `?done=CODE` (a fixed set: nothing typed is reflected).
pub(super) fn notice(code: &str) -> &'static str {
    match code {
        "updated" => "Settings saved.",
        "removed" => "App removed.",
        _ => "",
    }
}

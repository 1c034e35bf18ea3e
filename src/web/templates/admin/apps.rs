//! The admin's app (client) pages: the list, a new app, one app with its settings form.

use super::AdminLayout;
use crate::web::templates::Named;
use askama::Template;
use serde::Serialize;

/// A checkbox or an option of a choice.
#[derive(Serialize, Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// Every setting of an app, as its form shows it (lists one a line).
#[derive(Serialize, Debug, Clone, Default)]
pub struct AppForm {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: String,
    pub web_origins: String,
    pub scopes: String,
    pub grants: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub algs: Vec<Choice>,
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub require_mfa: bool,
}

#[derive(Serialize)]
pub struct AppRow {
    pub path: String,
    pub name: String,
    pub client_id: String,
    pub kind: String,
    pub groups: String,
    pub grants: String,
}

#[derive(Template, Serialize)]
#[template(path = "admin_apps.html")]
pub struct AdminAppsPage {
    pub layout: AdminLayout,
    pub apps: Vec<AppRow>,
}
impl Named for AdminAppsPage {
    const NAME: &'static str = "admin_apps.html";
}

#[derive(Template, Serialize)]
#[template(path = "admin_app_new.html")]
pub struct AdminAppNewPage {
    pub layout: AdminLayout,
    pub form: AppForm,
}
impl Named for AdminAppNewPage {
    const NAME: &'static str = "admin_app_new.html";
}

#[derive(Template, Serialize)]
#[template(path = "admin_app.html")]
pub struct AdminAppPage {
    pub layout: AdminLayout,
    pub path: String,
    pub form: AppForm,
    pub issuer: String,
    pub created: String,
    /// `API: scope`, one an entry.
    pub api_grants: Vec<String>,
    /// A secret just made, shown this once (`""`: none).
    pub secret: String,
}
impl Named for AdminAppPage {
    const NAME: &'static str = "admin_app.html";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::templates::admin::tests::layout;
    use crate::web::templates::tests::same_in_both;

    fn form() -> AppForm {
        let c = |v: &str, on| Choice {
            value: v.into(),
            label: v.into(),
            checked: on,
        };
        AppForm {
            client_id: "grafana".into(),
            name: "Grafana".into(),
            public: false,
            redirect_uris: "g.example:cb\ng.example:cb2".into(),
            scopes: "openid email".into(),
            grants: vec![
                c("authorization_code", true),
                c("client_credentials", false),
            ],
            groups: vec![c("ops", true)],
            algs: vec![c("RS256", true), c("ES256", false)],
            require_pkce: true,
            ..Default::default()
        }
    }

    #[test]
    fn the_app_pages_render_the_same_in_askama_and_minijinja() {
        same_in_both(
            &AdminAppsPage {
                layout: layout(),
                apps: vec![AppRow {
                    path: "grafana".into(),
                    name: "Grafana".into(),
                    client_id: "grafana".into(),
                    kind: "confidential".into(),
                    groups: "ops".into(),
                    grants: "authorization_code".into(),
                }],
            },
            "admin_apps.html",
        );
        same_in_both(
            &AdminAppNewPage {
                layout: layout(),
                form: form(),
            },
            "admin_app_new.html",
        );
        same_in_both(
            &AdminAppPage {
                layout: layout(),
                path: "grafana".into(),
                form: form(),
                issuer: "id.example".into(),
                created: "x".into(),
                api_grants: vec!["api.example: read".into()],
                secret: "s3cret".into(),
            },
            "admin_app.html",
        );
    }
}

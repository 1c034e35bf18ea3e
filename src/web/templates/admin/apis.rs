//! The APIs pages: the list with the register form, one API (its scopes, the apps holding
//! them), and the custom scopes.

use super::groups::AppChoice;
use crate::web::templates::{AdminLayout, Named};
use askama::Template;
use serde::Serialize;

/// An API in the list. `key` is the identifier encoded for a query.
#[derive(Serialize)]
pub struct ApiRow {
    pub identifier: String,
    pub key: String,
    pub name: String,
    /// Space separated ("": none).
    pub scopes: String,
}

#[derive(Template, Serialize)]
#[template(path = "admin_apis.html")]
pub struct ApisPage<'a> {
    pub layout: AdminLayout,
    pub apis: Vec<ApiRow>,
    pub no_apis: bool,
    /// The register form's values (what was typed, after a refusal).
    pub new_identifier: &'a str,
    pub new_name: &'a str,
}
page!(ApisPage, "admin_apis.html");

#[derive(Serialize)]
pub struct ScopeRow {
    pub scope: String,
    pub description: String,
}

/// One scope held by one app.
#[derive(Serialize)]
pub struct GrantRow {
    pub client_id: String,
    pub key: String,
    pub scope: String,
}

#[derive(Template, Serialize)]
#[template(path = "admin_api.html")]
pub struct ApiPage<'a> {
    pub layout: AdminLayout,
    pub identifier: &'a str,
    pub key: String,
    pub name: String,
    pub created: String,
    pub scopes: Vec<ScopeRow>,
    pub no_scopes: bool,
    /// The add-scope form's values (what was typed, after a refusal).
    pub new_scope: &'a str,
    pub new_description: &'a str,
    pub grants: Vec<GrantRow>,
    pub no_grants: bool,
    /// The apps the grant form offers; the form shows when there are apps and scopes.
    pub clients: Vec<AppChoice>,
    pub can_grant: bool,
}
page!(ApiPage, "admin_api.html");

/// A custom scope in the list. `key` is the name encoded for a query.
#[derive(Serialize)]
pub struct CustomScopeRow {
    pub name: String,
    pub key: String,
    /// Comma separated.
    pub claims: String,
    pub description: String,
}

#[derive(Template, Serialize)]
#[template(path = "admin_scopes.html")]
pub struct CustomScopesPage<'a> {
    pub layout: AdminLayout,
    pub scopes: Vec<CustomScopeRow>,
    pub no_scopes: bool,
    /// The create form's values (what was typed, after a refusal).
    pub new_name: &'a str,
    pub new_claims: &'a str,
    pub new_description: &'a str,
}
page!(CustomScopesPage, "admin_scopes.html");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::templates::admin::tests::layout;
    use crate::web::templates::tests::same_in_both;

    // Values without `<>&"'/`: the engines escape them differently (both valid HTML).
    #[test]
    fn the_apis_pages_render_the_same_in_askama_and_minijinja() {
        for full in [true, false] {
            let apis = full
                .then(|| ApiRow {
                    identifier: "urn:example:billing".into(),
                    key: "urn%3Aexample%3Abilling".into(),
                    name: "Billing and co".into(),
                    scopes: if full {
                        "invoices:read".into()
                    } else {
                        String::new()
                    },
                })
                .into_iter()
                .collect();
            same_in_both(
                &ApisPage {
                    layout: layout(),
                    apis,
                    no_apis: !full,
                    new_identifier: "urn:x",
                    new_name: "",
                },
                "admin_apis.html",
            );
            let page = ApiPage {
                layout: layout().with_error("the scope openid is taken"),
                identifier: "urn:example:billing",
                key: "urn%3Aexample%3Abilling".into(),
                name: "Billing".into(),
                created: "2024-01-02 03:04 UTC".into(),
                scopes: full
                    .then(|| ScopeRow {
                        scope: "invoices:read".into(),
                        description: "Read invoices".into(),
                    })
                    .into_iter()
                    .collect(),
                no_scopes: !full,
                new_scope: "openid",
                new_description: "",
                grants: full
                    .then(|| GrantRow {
                        client_id: "app".into(),
                        key: "app".into(),
                        scope: "invoices:read".into(),
                    })
                    .into_iter()
                    .collect(),
                no_grants: !full,
                clients: vec![AppChoice {
                    client_id: "app".into(),
                    label: "The app (app)".into(),
                }],
                can_grant: full,
            };
            same_in_both(&page, "admin_api.html");
            let scopes = full
                .then(|| CustomScopeRow {
                    name: "hr".into(),
                    key: "hr".into(),
                    claims: "department, employee_id".into(),
                    description: "Your HR data".into(),
                })
                .into_iter()
                .collect();
            same_in_both(
                &CustomScopesPage {
                    layout: layout(),
                    scopes,
                    no_scopes: !full,
                    new_name: "",
                    new_claims: "a,b",
                    new_description: "",
                },
                "admin_scopes.html",
            );
        }
    }
}

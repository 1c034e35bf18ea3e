//! The sign-in checker's page (`/admin/apps/{client_id}/check`): the report, flattened into
//! the plain fields and lists both template engines read.

use super::{AdminLayout, Named};
use crate::oidc::admin::app_recipes::Recipe;
use crate::oidc::admin::signin_check::{ClaimLine, SigninReport};
use askama::Template;
use serde::Serialize;

#[derive(Template, Serialize)]
#[template(path = "admin_check.html")]
pub struct AdminCheckPage<'a> {
    pub layout: AdminLayout,
    pub client_id: &'a str,
    /// The client id as a URL path segment.
    pub client_path: String,
    pub app_name: String,
    /// The form's values (the user checked, the scope and API asked for).
    pub username: String,
    pub scope: String,
    pub resource: String,
    /// False when there is no report to show (an unknown user: `layout.error` says so).
    pub has_report: bool,
    pub signs_in: bool,
    pub verdict: String,
    pub request_url: String,
    pub steps: Vec<StepView>,
    pub scopes: Vec<ScopeView>,
    pub id_token: Vec<ClaimView>,
    pub access_token: Vec<ClaimView>,
    pub userinfo: Vec<ClaimView>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `""`: none.
    pub backchannel_logout_uri: String,
    pub pkce: String,
    pub id_token_alg: String,
    pub access_token_alg: String,
    pub findings: Vec<FindingView>,
    pub no_findings: bool,
    pub recipes: Vec<RecipeView>,
}
page!(AdminCheckPage, "admin_check.html");

#[derive(Serialize, Debug, Clone)]
pub struct StepView {
    pub name: String,
    /// passes, asks, stops, not-reached.
    pub state: String,
    pub text: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct ScopeView {
    pub scope: String,
    pub requested: bool,
    pub reason: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct ClaimView {
    pub name: String,
    /// present, after consent, missing.
    pub state: String,
    /// The value as text (`""` when missing).
    pub value: String,
    pub varies: bool,
    pub reason: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct FindingView {
    pub severity: String,
    pub check: String,
    pub message: String,
    pub fix: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct RecipeView {
    pub app: String,
    pub id: String,
    pub place: String,
    pub text: String,
    pub callback: String,
    pub callback_registered: bool,
    pub notes: Vec<String>,
    pub docs: String,
}

impl<'a> AdminCheckPage<'a> {
    /// The page for `client_id` (`client_path`: as a URL path segment) with nothing checked.
    pub fn empty(
        layout: AdminLayout,
        client_id: &'a str,
        client_path: String,
        app_name: String,
    ) -> Self {
        Self {
            layout,
            client_id,
            client_path,
            app_name,
            username: String::new(),
            scope: String::new(),
            resource: String::new(),
            has_report: false,
            signs_in: false,
            verdict: String::new(),
            request_url: String::new(),
            steps: Vec::new(),
            scopes: Vec::new(),
            id_token: Vec::new(),
            access_token: Vec::new(),
            userinfo: Vec::new(),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: String::new(),
            pkce: String::new(),
            id_token_alg: String::new(),
            access_token_alg: String::new(),
            findings: Vec::new(),
            no_findings: false,
            recipes: Vec::new(),
        }
    }

    /// The page showing `report`, and the settings for common apps.
    pub fn of(
        layout: AdminLayout,
        client_id: &'a str,
        client_path: String,
        r: SigninReport,
        recipes: Vec<Recipe>,
    ) -> Self {
        let claims = |list: Vec<ClaimLine>| -> Vec<ClaimView> {
            list.into_iter()
                .map(|c| ClaimView {
                    value: c.shown(),
                    state: c.state_word().to_owned(),
                    name: c.name,
                    varies: c.varies,
                    reason: c.reason,
                })
                .collect()
        };
        Self {
            username: r.username,
            scope: r.scope,
            resource: r.resource.unwrap_or_default(),
            has_report: true,
            signs_in: r.signs_in,
            verdict: r.verdict,
            request_url: r.request_url,
            steps: r
                .steps
                .iter()
                .map(|s| StepView {
                    name: s.name.to_owned(),
                    state: s.state_word().to_owned(),
                    text: s.text.clone(),
                })
                .collect(),
            scopes: r
                .scopes
                .into_iter()
                .map(|s| ScopeView {
                    scope: s.scope,
                    requested: s.requested,
                    reason: s.reason,
                })
                .collect(),
            id_token: claims(r.id_token),
            access_token: claims(r.access_token),
            userinfo: claims(r.userinfo),
            redirect_uris: r.redirect_uris,
            post_logout_redirect_uris: r.post_logout_redirect_uris,
            backchannel_logout_uri: r.backchannel_logout_uri.unwrap_or_default(),
            pkce: r.pkce.why,
            id_token_alg: r.id_token_alg,
            access_token_alg: r.access_token_alg,
            no_findings: r.findings.is_empty(),
            findings: r
                .findings
                .into_iter()
                .map(|f| FindingView {
                    severity: f.severity.as_str().to_owned(),
                    check: f.check.to_owned(),
                    message: f.message,
                    fix: f.fix,
                })
                .collect(),
            recipes: recipes
                .into_iter()
                .map(|x| RecipeView {
                    app: x.app.to_owned(),
                    id: x.id.to_owned(),
                    place: x.place.to_owned(),
                    text: x.text,
                    callback: x.callback,
                    callback_registered: x.callback_registered,
                    notes: x.notes,
                    docs: x.docs.to_owned(),
                })
                .collect(),
            ..Self::empty(layout, client_id, client_path, r.app_name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::templates::admin::tests::layout;

    fn claim(name: &str, state: &str, value: &str, reason: &str) -> ClaimView {
        ClaimView {
            name: name.into(),
            state: state.into(),
            value: value.into(),
            varies: value.is_empty(),
            reason: reason.into(),
        }
    }

    // The two engines escape <, >, &, / and quotes differently: the values avoid them.
    #[test]
    fn the_sign_in_checker_renders_the_same_in_askama_and_minijinja() {
        let empty = AdminCheckPage::empty(layout(), "app", "app".into(), "The app".into());
        super::super::tests::same_in_both(&empty, "admin_check.html");
        let page = AdminCheckPage {
            username: "alice".into(),
            scope: "openid groups".into(),
            has_report: true,
            signs_in: true,
            verdict: "alice can sign in to The app".into(),
            request_url: "authorize?client_id=app".into(),
            steps: vec![StepView {
                name: "Access".into(),
                state: "passes".into(),
                text: "alice is in ops".into(),
            }],
            scopes: vec![ScopeView {
                scope: "groups".into(),
                requested: true,
                reason: "requested and allowed".into(),
            }],
            id_token: vec![
                claim("groups", "present", "[ops]", "released by the scope groups"),
                claim("name", "missing", "", "attribute unset"),
            ],
            access_token: vec![claim("scope", "after consent", "openid groups", "granted")],
            userinfo: vec![claim("sub", "present", "u-1", "subject")],
            redirect_uris: vec!["app.example.cb".into()],
            post_logout_redirect_uris: vec!["app.example.bye".into()],
            backchannel_logout_uri: "app.example.bcl".into(),
            pkce: "required".into(),
            id_token_alg: "RS256".into(),
            access_token_alg: "RS256".into(),
            findings: vec![FindingView {
                severity: "warning".into(),
                check: "client-pkce-disabled".into(),
                message: "m".into(),
                fix: "f".into(),
            }],
            recipes: vec![RecipeView {
                app: "Grafana".into(),
                id: "grafana".into(),
                place: "grafana.ini".into(),
                text: "[auth.generic_oauth]\nclient_id = app\n".into(),
                callback: "grafana.example.callback".into(),
                callback_registered: false,
                notes: vec!["add the callback".into()],
                docs: "grafana.com".into(),
            }],
            ..AdminCheckPage::empty(layout(), "app", "app".into(), "The app".into())
        };
        super::super::tests::same_in_both(&page, "admin_check.html");
    }
}

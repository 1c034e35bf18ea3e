//! The pages of signing in with an upstream provider (`[[upstream]]`).

use super::Named;
use askama::Template;
use serde::Serialize;

/// A provider's button: "Sign in with NAME" (a link) on the login page, "Link NAME" (a form)
/// on the account page.
#[derive(Serialize, Debug, Clone)]
pub struct UpstreamButton {
    pub id: String,
    pub name: String,
    /// Login page: where the link goes (`/upstream/ID/start?...`); account page: the form's action.
    pub url: String,
}

/// A linked identity on the account page.
#[derive(Serialize, Debug, Clone)]
pub struct IdentityView {
    pub id: i64,
    /// The provider's button label (its id when it is no longer configured).
    pub provider: String,
    /// The email the provider gave, or "".
    pub email: String,
    pub linked: String,
    pub last_used: String,
    /// The account page may offer to unlink it (a recent sign-in, and not the last way in).
    pub removable: bool,
}

/// "No account is linked to this sign-in": the local password links it.
#[derive(Template, Serialize)]
#[template(path = "upstream_link.html")]
pub struct UpstreamLinkPage<'a> {
    pub provider: &'a str,
    /// Who the provider said this is (an email or a username), or "".
    pub who: &'a str,
    pub app_name: &'a str,
    pub csrf: &'a str,
    pub handle: &'a str,
    pub username: &'a str,
    pub error: &'a str,
    /// Back to the login page (with the authorization request, if any).
    pub cancel_url: &'a str,
}
page!(UpstreamLinkPage, "upstream_link.html");

/// A sign-in through a provider that did not go through: what happened, and a way back.
#[derive(Template, Serialize)]
#[template(path = "upstream_error.html")]
pub struct UpstreamErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// A way back (the login page of the same request, or the account page), or "".
    pub back_url: &'a str,
    pub back_label: &'a str,
}
page!(UpstreamErrorPage, "upstream_error.html");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_pages_render_the_same_in_askama_and_minijinja() {
        for (who, error) in [
            ("bob@example.com", ""),
            ("", "Invalid username or password"),
        ] {
            super::super::tests::same_in_both(
                &UpstreamLinkPage {
                    provider: "Google",
                    who,
                    app_name: "Grafana",
                    csrf: "c",
                    handle: "h",
                    username: "bob",
                    error,
                    cancel_url: "login?req=r",
                },
                "upstream_link.html",
            );
        }
        for back_url in ["login", ""] {
            super::super::tests::same_in_both(
                &UpstreamErrorPage {
                    title: "T",
                    message: "M",
                    back_url,
                    back_label: "Back",
                },
                "upstream_error.html",
            );
        }
    }
}

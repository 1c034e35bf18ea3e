//! The pages of one-time links: an invite, a password reset, "Forgot password?", the
//! verification of an email address, and the message pages after them.

use super::Named;
use askama::Template;
use serde::Serialize;

/// `/invite/<token>`: choose a password, or (`passkeys`) a passkey.
#[derive(Template, Serialize)]
#[template(path = "invite.html")]
pub struct InvitePage<'a> {
    pub username: &'a str,
    /// The app the person was invited to, or "".
    pub app_name: &'a str,
    pub passkeys: bool,
    /// The link's own path: the form posts back to it.
    pub action: &'a str,
    pub csrf: &'a str,
    pub error: &'a str,
    /// When the link stops working, for people.
    pub expires: &'a str,
}
page!(InvitePage, "invite.html");

/// `/reset/<token>`: a new password.
#[derive(Template, Serialize)]
#[template(path = "reset.html")]
pub struct ResetPage<'a> {
    pub username: &'a str,
    pub action: &'a str,
    pub csrf: &'a str,
    pub error: &'a str,
}
page!(ResetPage, "reset.html");

/// `/login/forgot`: the form, or (`sent`) the answer, the same whether the account exists.
#[derive(Template, Serialize)]
#[template(path = "forgot.html")]
pub struct ForgotPage<'a> {
    pub sent: bool,
    pub username: &'a str,
    pub csrf: &'a str,
    pub error: &'a str,
    /// How long the link works (`reset_ttl_secs`), in minutes.
    pub minutes: &'a str,
}
page!(ForgotPage, "forgot.html");

/// `/verify-email/<token>`: a button (a mail scanner that opens the link verifies nothing).
#[derive(Template, Serialize)]
#[template(path = "verify_email.html")]
pub struct VerifyEmailPage<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub action: &'a str,
    pub csrf: &'a str,
}
page!(VerifyEmailPage, "verify_email.html");

/// A short message and where to go next (`link_url` "" for none).
#[derive(Template, Serialize)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub link_url: &'a str,
    pub link_text: &'a str,
}
page!(MessagePage, "message.html");

#[cfg(test)]
mod tests {
    use super::super::tests::same_in_both;
    use super::*;

    #[test]
    fn onboarding_pages_render_the_same_in_askama_and_minijinja() {
        for (passkeys, app_name, error) in [(true, "Grafana", ""), (false, "", "Too short")] {
            same_in_both(
                &InvitePage {
                    username: "bob",
                    app_name,
                    passkeys,
                    action: "invite-t",
                    csrf: "c",
                    error,
                    expires: "2026-01-01 10:00 UTC",
                },
                "invite.html",
            );
        }
        same_in_both(
            &ResetPage {
                username: "bob",
                action: "reset-t",
                csrf: "c",
                error: "e",
            },
            "reset.html",
        );
        for sent in [true, false] {
            same_in_both(
                &ForgotPage {
                    sent,
                    username: "bob",
                    csrf: "c",
                    error: "",
                    minutes: "60",
                },
                "forgot.html",
            );
        }
        same_in_both(
            &VerifyEmailPage {
                username: "bob",
                email: "b@example.com",
                action: "verify-t",
                csrf: "c",
            },
            "verify_email.html",
        );
        for link_url in ["account", ""] {
            same_in_both(
                &MessagePage {
                    title: "T",
                    message: "M",
                    link_url,
                    link_text: "Go",
                },
                "message.html",
            );
        }
    }
}

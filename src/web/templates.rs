//! One struct per page. The built-in templates are compiled into the binary with askama; a
//! `theme_dir/templates/<page>.html` replaces one at run time (rendered by minijinja from the
//! same context). The templates use only syntax both engines share — plain fields, `!= ""`
//! tests, loops over lists of structs — so a built-in template is a working starting point.

use askama::Template;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/"]
struct BuiltIn;

/// The theme of this process, installed once at start (one server, one look).
static THEME: OnceLock<minijinja::Environment<'static>> = OnceLock::new();

/// Use `dir/templates/*.html` where present; other templates (and `base.html` for `extends`)
/// fall back to the built-in ones. Later calls are ignored.
pub fn install_theme(dir: PathBuf) {
    let mut env = minijinja::Environment::new();
    env.set_loader(move |name| {
        let themed = dir.join("templates").join(name);
        if !name.contains(['/', '\\']) && !name.starts_with('.') && themed.is_file() {
            return std::fs::read_to_string(&themed).map(Some).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
            });
        }
        Ok(BuiltIn::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned()))
    });
    let _ = THEME.set(env);
}

/// The file name of a page's template.
pub trait Named {
    const NAME: &'static str;
}

/// Render a page; a template error becomes a plain message (and a log line), never a panic.
pub trait Page: Template + Serialize + Named {
    fn render_html(&self) -> String {
        let themed = THEME.get().and_then(|env| {
            let dir_has_it = env.get_template(Self::NAME).ok()?;
            Some(dir_has_it.render(minijinja::value::Serde(self)))
        });
        let out = match themed {
            Some(r) => r.map_err(|e| e.to_string()),
            None => self.render().map_err(|e| e.to_string()),
        };
        out.unwrap_or_else(|e| {
            tracing::error!(error = %e, page = Self::NAME, "template failed");
            "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()
        })
    }
}
impl<T: Template + Serialize + Named> Page for T {}

macro_rules! page {
    ($ty:ident, $file:literal) => {
        impl Named for $ty<'_> {
            const NAME: &'static str = $file;
        }
    };
}

pub mod admin;
pub mod mail;
pub mod onboarding;
pub use admin::{
    ActiveSessionView, AdminKeysPage, AdminLayout, AdminPage, AdminSessionsPage, FindingView,
    KeyAgeView, ThrottleView,
};
pub use admin::{apis as admin_apis, groups as admin_groups};
pub use onboarding::{ForgotPage, InvitePage, MessagePage, ResetPage, VerifyEmailPage};
mod admin_check;
pub use admin_check::AdminCheckPage;
mod upstream;
pub use upstream::{IdentityView, UpstreamButton, UpstreamErrorPage, UpstreamLinkPage};

#[derive(Template, Serialize)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}
page!(ErrorPage, "error.html");

/// Optional values are `""` when absent (the shared template syntax tests `!= ""`).
#[derive(Template, Serialize)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    /// Passkeys can work with this issuer: the passkey button and conditional UI are offered.
    pub passkeys: bool,
    pub app_name: &'a str,
    pub error: &'a str,
    pub csrf: &'a str,
    pub req: &'a str,
    /// A local page to return to after signing in (`/account` or `/device...`).
    pub next: &'a str,
    pub username: &'a str,
    /// Why the page asks again (a fresh sign-in before changing sign-in methods), or "".
    pub notice: &'a str,
    /// Mail is configured: "Forgot password?" is offered.
    pub forgot: bool,
    /// "Sign in with NAME", one per `[[upstream]]`.
    pub upstreams: Vec<UpstreamButton>,
    pub has_upstreams: bool,
}
page!(LoginPage, "login.html");

/// The second sign-in step: exactly one of `ask_code`, `enrol`, `passkey_needed`, `passkey`
/// is true.
/// Optional values are `""` when absent.
#[derive(Template, Serialize)]
#[template(path = "second_factor.html")]
pub struct SecondFactorPage<'a> {
    pub ask_code: bool,
    pub enrol: bool,
    pub passkey_needed: bool,
    /// Only a passkey will do (`phr`), and the account has one.
    pub passkey: bool,
    /// The code form is shown (an authenticator app or recovery codes are set up).
    pub offer_code: bool,
    /// The "Use your passkey" button is shown (the account has one).
    pub offer_passkey: bool,
    pub app_name: &'a str,
    pub username: &'a str,
    pub error: &'a str,
    pub csrf: &'a str,
    pub req: &'a str,
    pub next: &'a str,
    /// Unused recovery codes, as text ("" when none are set up).
    pub recovery_left: &'a str,
    /// Setting up an authenticator app: the QR code (an inline SVG we render), the key as
    /// text, the otpauth:// URI, and the sealed enrolment the form sends back.
    pub qr_svg: &'a str,
    pub secret: &'a str,
    pub otpauth_uri: &'a str,
    pub enrolment: &'a str,
    /// Back to the app (passkey needed): a URL (query mode) or a form (form_post).
    pub cancel_url: &'a str,
    pub cancel_action: &'a str,
    pub cancel_fields: Vec<Field>,
    /// Start over with another account.
    pub login_url: &'a str,
}
page!(SecondFactorPage, "second_factor.html");

/// Recovery codes, shown once, then on to `continue_url`.
#[derive(Template, Serialize)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub message: &'a str,
    pub username: &'a str,
    pub codes: Vec<String>,
    pub continue_url: &'a str,
}
page!(RecoveryCodesPage, "recovery_codes.html");

#[derive(Template, Serialize)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub app_name: &'a str,
    pub username: &'a str,
    pub scopes: Vec<String>,
    pub csrf: &'a str,
    pub req: &'a str,
    pub destination: &'a str,
}
page!(ConsentPage, "consent.html");

#[derive(Serialize)]
pub struct Field {
    pub name: &'static str,
    pub value: String,
}

#[derive(Template, Serialize)]
#[template(path = "form_post.html")]
pub struct FormPostPage<'a> {
    pub action: &'a str,
    pub fields: Vec<Field>,
}
page!(FormPostPage, "form_post.html");

/// Either `return_url` (query mode) or `action` with `fields` (form_post) is set.
#[derive(Template, Serialize)]
#[template(path = "no_access.html")]
pub struct NoAccessPage<'a> {
    pub app_name: &'a str,
    pub username: &'a str,
    pub return_url: &'a str,
    pub action: &'a str,
    pub fields: Vec<Field>,
}
page!(NoAccessPage, "no_access.html");

#[derive(Template, Serialize)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub username: &'a str,
}
page!(HomePage, "home.html");

#[derive(Template, Serialize)]
#[template(path = "logout.html")]
pub struct LogoutPage<'a> {
    pub app_name: &'a str,
    pub username: &'a str,
    pub csrf: &'a str,
    pub client_id: &'a str,
    pub post_logout_redirect_uri: &'a str,
    pub state: &'a str,
}
page!(LogoutPage, "logout.html");

#[derive(Template, Serialize)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage<'a> {
    pub app_name: &'a str,
    pub note: &'a str,
}
page!(SignedOutPage, "signed_out.html");

/// The device flow's code entry page.
#[derive(Template, Serialize)]
#[template(path = "device.html")]
pub struct DevicePage<'a> {
    pub username: &'a str,
    pub user_code: &'a str,
    pub error: &'a str,
    pub csrf: &'a str,
}
page!(DevicePage, "device.html");

/// The device flow's confirmation: which app, which code, which scopes.
#[derive(Template, Serialize)]
#[template(path = "device_confirm.html")]
pub struct DeviceConfirmPage<'a> {
    pub app_name: &'a str,
    pub username: &'a str,
    pub user_code: &'a str,
    pub scopes: Vec<String>,
    pub csrf: &'a str,
}
page!(DeviceConfirmPage, "device_confirm.html");

#[derive(Template, Serialize)]
#[template(path = "device_done.html")]
pub struct DeviceDonePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}
page!(DeviceDonePage, "device_done.html");

#[derive(Serialize)]
pub struct SessionView {
    pub sid: String,
    pub device: String,
    pub ip: String,
    pub last_seen: String,
    pub signed_in: String,
    pub current: bool,
}

/// One's second factors on the account page; texts are "" when absent.
#[derive(Serialize, Default)]
pub struct FactorsView {
    /// When the authenticator app was set up.
    pub totp_since: String,
    pub recovery_left: String,
    pub recovery_total: String,
    /// When a recovery code was last used.
    pub recovery_used: String,
    /// `mfa_required` names this user: the last factor cannot be turned off.
    pub required: bool,
    /// `reauth_secs`, in minutes, for the note about signing in again.
    pub reauth_minutes: String,
}

#[derive(Serialize)]
pub struct AppView {
    pub client_id: String,
    pub name: String,
    pub access: String,
}

#[derive(Template, Serialize)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    /// Passkeys can work with this issuer (the section is shown).
    pub passkeys_available: bool,
    pub passkeys: Vec<PasskeyView>,
    pub no_passkeys: bool,
    /// Signed in within `reauth_secs`: passkeys may be added and removed.
    pub fresh: bool,
    pub username: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    /// Mail is configured: the notice mails section is shown.
    pub mail: bool,
    /// The user gets notice mails.
    pub notices: bool,
    /// False for an account made with a passkey alone or by an upstream provider: "Set a
    /// password" without the current one.
    pub has_password: bool,
    pub sessions: Vec<SessionView>,
    pub no_apps: bool,
    pub apps: Vec<AppView>,
    pub csrf: &'a str,
    pub message: &'a str,
    pub error: &'a str,
    pub factors: FactorsView,
    /// Providers are configured, or identities linked: the section is shown.
    pub upstream_section: bool,
    pub identities: Vec<IdentityView>,
    pub no_identities: bool,
    /// "Link NAME" forms (shown after a recent sign-in).
    pub link_buttons: Vec<UpstreamButton>,
}
page!(AccountPage, "account.html");

/// Setting up an authenticator app from the account page.
#[derive(Template, Serialize)]
#[template(path = "account_totp.html")]
pub struct AccountTotpPage<'a> {
    pub username: &'a str,
    pub error: &'a str,
    pub csrf: &'a str,
    pub qr_svg: &'a str,
    pub secret: &'a str,
    pub otpauth_uri: &'a str,
    pub enrolment: &'a str,
}
page!(AccountTotpPage, "account_totp.html");
/// One passkey on the account page.
#[derive(Serialize)]
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
    /// Backup-eligible: the key may be synced between devices.
    pub synced: bool,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The built-in templates must mean the same to minijinja (theme overrides start from them).
    pub(crate) fn same_in_both<T: Template + Serialize>(page: &T, name: &str) {
        let mut env = minijinja::Environment::new();
        env.set_loader(|n| {
            Ok(BuiltIn::get(n).map(|f| String::from_utf8_lossy(&f.data).into_owned()))
        });
        let mj = env
            .get_template(name)
            .unwrap()
            .render(minijinja::value::Serde(page))
            .unwrap();
        let aj = page.render().unwrap();
        assert_eq!(mj, aj, "{name} renders differently");
    }

    #[test]
    fn built_in_templates_render_the_same_in_askama_and_minijinja() {
        same_in_both(
            &LoginPage {
                passkeys: true,
                app_name: "Grafana",
                error: "Invalid username or password",
                csrf: "c",
                req: "r",
                next: "",
                username: "alice",
                notice: "",
                forgot: true,
                upstreams: vec![UpstreamButton {
                    id: "google".into(),
                    name: "Google".into(),
                    url: "start?req=r".into(),
                }],
                has_upstreams: true,
            },
            "login.html",
        );
        same_in_both(
            &LoginPage {
                passkeys: false,
                app_name: "",
                error: "",
                csrf: "c",
                req: "",
                next: "x",
                username: "",
                notice: "Sign in again",
                forgot: false,
                upstreams: vec![],
                has_upstreams: false,
            },
            "login.html",
        );
        for (ask_code, enrol, passkey_needed, passkey) in [
            (true, false, false, false),
            (false, true, false, false),
            (false, false, true, false),
            (false, false, false, true),
        ] {
            same_in_both(
                &SecondFactorPage {
                    ask_code,
                    enrol,
                    passkey_needed,
                    passkey,
                    offer_code: ask_code,
                    offer_passkey: ask_code || passkey,
                    app_name: "Grafana",
                    username: "alice",
                    error: if enrol { "Wrong code" } else { "" },
                    csrf: "c",
                    req: "r",
                    next: "",
                    recovery_left: "9",
                    qr_svg: "<svg></svg>",
                    secret: "ABCD",
                    otpauth_uri: "otpauth:x",
                    enrolment: "e",
                    cancel_url: "cb",
                    cancel_action: "",
                    cancel_fields: Vec::new(),
                    login_url: "l",
                },
                "second_factor.html",
            );
        }
        same_in_both(
            &RecoveryCodesPage {
                message: "m",
                username: "alice",
                codes: vec!["ab3cd-ef4gh".into(), "23456-789ab".into()],
                continue_url: "x",
            },
            "recovery_codes.html",
        );
        same_in_both(
            &ConsentPage {
                app_name: "Grafana",
                username: "alice",
                scopes: vec!["See your email address".into()],
                csrf: "c",
                req: "r",
                destination: "d",
            },
            "consent.html",
        );
        same_in_both(
            &ErrorPage {
                title: "T",
                message: "M",
            },
            "error.html",
        );
        same_in_both(
            &FormPostPage {
                action: "a",
                fields: vec![Field {
                    name: "code",
                    value: "v".into(),
                }],
            },
            "form_post.html",
        );
        same_in_both(&HomePage { username: "alice" }, "home.html");
        for error in ["", "That code is not valid"] {
            same_in_both(
                &DevicePage {
                    username: "alice",
                    user_code: "BCDF-GHJK",
                    error,
                    csrf: "c",
                },
                "device.html",
            );
        }
        same_in_both(
            &DeviceConfirmPage {
                app_name: "CLI tool",
                username: "alice",
                user_code: "BCDF-GHJK",
                scopes: vec!["See your email address".into()],
                csrf: "c",
            },
            "device_confirm.html",
        );
        same_in_both(
            &DeviceDonePage {
                title: "T",
                message: "M",
            },
            "device_done.html",
        );
        same_in_both(
            &LogoutPage {
                app_name: "A",
                username: "u",
                csrf: "c",
                client_id: "i",
                post_logout_redirect_uri: "p",
                state: "s",
            },
            "logout.html",
        );
        same_in_both(
            &SignedOutPage {
                app_name: "A",
                note: "n",
            },
            "signed_out.html",
        );
        let session = SessionView {
            sid: "s".into(),
            device: "Firefox on Linux".into(),
            ip: "127.0.0.1".into(),
            last_seen: "t".into(),
            signed_in: "t".into(),
            current: true,
        };
        let app = AppView {
            client_id: "app".into(),
            name: "App".into(),
            access: "Allowed: openid".into(),
        };
        for fresh in [true, false] {
            same_in_both(
                &AccountPage {
                    passkeys_available: true,
                    passkeys: vec![PasskeyView {
                        id: 3,
                        name: "Laptop".into(),
                        created: "2026-01-01 10:00 UTC".into(),
                        last_used: "never".into(),
                        synced: fresh,
                    }],
                    no_passkeys: false,
                    fresh,
                    username: "u",
                    name: "n",
                    email: "e",
                    email_verified: fresh,
                    mail: fresh,
                    notices: fresh,
                    has_password: fresh,
                    sessions: vec![],
                    no_apps: true,
                    apps: vec![],
                    csrf: "c",
                    message: "",
                    error: "",
                    factors: FactorsView::default(),
                    upstream_section: true,
                    identities: vec![IdentityView {
                        id: 4,
                        provider: "Google".into(),
                        email: "u@example.com".into(),
                        linked: "t".into(),
                        last_used: "t".into(),
                        removable: fresh,
                    }],
                    no_identities: false,
                    link_buttons: vec![UpstreamButton {
                        id: "google".into(),
                        name: "Google".into(),
                        url: "start".into(),
                    }],
                },
                "account.html",
            );
        }
        same_in_both(
            &AccountPage {
                passkeys_available: false,
                passkeys: vec![],
                no_passkeys: true,
                fresh: false,
                username: "u",
                name: "n",
                email: "e",
                email_verified: false,
                mail: false,
                notices: false,
                has_password: true,
                sessions: vec![session],
                no_apps: false,
                apps: vec![app],
                csrf: "c",
                message: "m",
                error: "",
                factors: FactorsView::default(),
                upstream_section: false,
                no_identities: true,
                identities: vec![],
                link_buttons: vec![],
            },
            "account.html",
        );
        same_in_both(
            &AccountPage {
                passkeys_available: true,
                passkeys: vec![],
                no_passkeys: true,
                fresh: true,
                username: "u",
                name: "n",
                email: "e",
                email_verified: true,
                mail: true,
                notices: false,
                has_password: false,
                sessions: vec![],
                no_apps: true,
                apps: vec![],
                csrf: "c",
                message: "",
                error: "e",
                factors: FactorsView {
                    totp_since: "2026-01-01".into(),
                    recovery_left: "9".into(),
                    recovery_total: "10".into(),
                    recovery_used: "2026-01-02".into(),
                    required: true,
                    reauth_minutes: "10".into(),
                },
                upstream_section: true,
                no_identities: true,
                identities: vec![],
                link_buttons: vec![],
            },
            "account.html",
        );
        same_in_both(
            &AccountTotpPage {
                username: "u",
                error: "e",
                csrf: "c",
                qr_svg: "<svg></svg>",
                secret: "S",
                otpauth_uri: "otpauth:x",
                enrolment: "t",
            },
            "account_totp.html",
        );
        for (return_url, action) in [("cb", ""), ("", "cb")] {
            same_in_both(
                &NoAccessPage {
                    app_name: "Grafana",
                    username: "u",
                    return_url,
                    action,
                    fields: vec![Field {
                        name: "error",
                        value: "access_denied".into(),
                    }],
                },
                "no_access.html",
            );
        }
    }
}

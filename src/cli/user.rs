//! `latchkey user ...`

use super::{CliError, now, print, show_time};
use crate::config::Settings;
use crate::crypto::secret_key::SecretKey;
use crate::crypto::{password, random};
use crate::domain::check_password;
use crate::oidc::admin::onboarding::{self, IssuedLink};
use crate::oidc::admin::{self, Actor};
use crate::oidc::mfa;
use crate::store::Store;
use clap::{Args, Subcommand};
use std::io::Read;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; without --password-stdin a password is generated and printed once
    Add(AddArgs),
    /// Create a user without a password and print a one-time invite link (valid
    /// invite_ttl_secs) where they choose a password or a passkey; mailed too when smtp_url is set
    Invite(InviteArgs),
    /// Print a one-time link to set a new password (valid reset_ttl_secs); using it ends the
    /// user's sessions and refresh tokens. Mailed too when smtp_url is set
    ResetLink(ResetLinkArgs),
    /// List users
    List,
    /// Show one user
    Show { username: String },
    /// Change a user's email, name or admin flag (the last enabled admin cannot be demoted)
    Update(UpdateArgs),
    /// Disable a user: sign-in refused, sessions ended, refresh tokens revoked
    Disable { username: String },
    /// Enable a disabled user
    Enable { username: String },
    /// Set a new password (ends the user's sessions and refresh tokens)
    SetPassword(PasswordArgs),
    /// Delete a user and everything issued to them
    Remove { username: String },
    /// Set an attribute (released as a claim by custom scopes: see `latchkey scope add`)
    SetAttribute {
        username: String,
        key: String,
        value: String,
    },
    /// Remove an attribute
    UnsetAttribute { username: String, key: String },
    /// Unlink USERNAME's identity at an upstream provider (the `id` of its [[upstream]] table):
    /// that provider no longer signs them in. Allowed even when it is their last way in (then
    /// give them a password with `set-password`)
    Unlink { username: String, upstream: String },
    /// Remove a user's second factors (authenticator app, passkeys) and recovery codes, and end
    /// their sessions: for someone who lost their phone. They sign in with the password alone
    /// next, and set up a factor again (at once, when a policy requires one)
    ResetMfa { username: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub username: String,
    /// Email address
    #[arg(long)]
    pub email: String,
    /// Display name
    #[arg(long)]
    pub name: Option<String>,
    /// Read the password from standard input instead of generating one
    #[arg(long)]
    pub password_stdin: bool,
    /// Make the user an administrator
    #[arg(long)]
    pub admin: bool,
    /// Mark the email address as verified (the `email_verified` claim)
    #[arg(long)]
    pub email_verified: bool,
}

#[derive(Debug, Args)]
pub struct InviteArgs {
    pub username: String,
    /// Email address (verified when the invite is accepted)
    #[arg(long)]
    pub email: String,
    /// Display name
    #[arg(long)]
    pub name: Option<String>,
    /// Make the user an administrator
    #[arg(long)]
    pub admin: bool,
    /// Put the user in this group (repeatable; each group must exist)
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// The app they are invited to (a client id): the invite page sends them there after
    #[arg(long, value_name = "CLIENT_ID")]
    pub client: Option<String>,
    /// Only print the link, even when smtp_url is set
    #[arg(long)]
    pub no_email: bool,
}

#[derive(Debug, Args)]
pub struct ResetLinkArgs {
    pub username: String,
    /// Only print the link, even when smtp_url is set
    #[arg(long)]
    pub no_email: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub username: String,
    /// A new email address (unverified unless --email-verified is given too)
    #[arg(long)]
    pub email: Option<String>,
    /// Mark the email address as verified (the `email_verified` claim)
    #[arg(long, conflicts_with = "no_email_verified")]
    pub email_verified: bool,
    /// Mark the email address as not verified
    #[arg(long)]
    pub no_email_verified: bool,
    /// A new display name ("" clears it)
    #[arg(long)]
    pub name: Option<String>,
    /// Make the user an administrator
    #[arg(long, conflicts_with = "no_admin")]
    pub admin: bool,
    /// Take the administrator flag away
    #[arg(long)]
    pub no_admin: bool,
}

/// `--flag` / `--no-flag`: Some(true), Some(false), or None when neither is given.
fn either(on: bool, off: bool) -> Option<bool> {
    (on || off).then_some(on)
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    pub username: String,
    /// Read the password from standard input instead of generating one
    #[arg(long)]
    pub password_stdin: bool,
}

/// The password from stdin (one trailing newline removed), or a generated one.
fn obtain_password(from_stdin: bool) -> Result<(String, bool), CliError> {
    if !from_stdin {
        return Ok((random::password(), true));
    }
    let mut buf = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut buf)
        .map_err(|e| CliError::Invalid(format!("cannot read password from stdin: {e}")))?;
    let pw = buf
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&buf);
    check_password(pw)?;
    Ok((pw.to_owned(), false))
}

fn hash(pw: &str) -> Result<String, CliError> {
    password::hash(pw).map_err(|e| CliError::Other(e.to_string()))
}

/// The secret key that seals links in the mail queue (`open_store` made sure it exists).
fn secret_key(settings: &Settings) -> Result<SecretKey, CliError> {
    crate::crypto::secret_key::load_or_create(&settings.secret_key_path())
        .map_err(|e| CliError::Other(e.to_string()))
}

/// What `invite` and `reset-link` print.
fn print_link(json: bool, username: &str, link: &IssuedLink, what: &str) {
    let out = serde_json::json!({
        "username": username,
        "url": link.url,
        "expires_at": link.expires_at,
        "emailed": link.emailed,
    });
    print(json, &out, || {
        let mailed = if link.emailed {
            "\nIt was also queued as mail to the user's address."
        } else {
            ""
        };
        format!(
            "{what} for {username} (works once, until {}):\n{}{mailed}",
            show_time(link.expires_at),
            link.url
        )
    });
}

pub fn run(
    cmd: UserCommand,
    store: &Store,
    settings: &Settings,
    json: bool,
) -> Result<(), CliError> {
    let actor = &Actor::Cli;
    match cmd {
        UserCommand::Invite(a) => {
            let invite = onboarding::Invite {
                user: admin::users::NewUser::parse(
                    &a.username,
                    &a.email,
                    a.name.as_deref(),
                    a.admin,
                    false,
                )?,
                groups: a.groups,
                client: a.client,
                send_mail: !a.no_email,
            };
            let key = secret_key(settings)?;
            let (user, link) =
                store.write(|c| onboarding::invite(c, actor, settings, &key, now(), &invite))?;
            print_link(json, &user.username, &link, "invite link");
        }
        UserCommand::ResetLink(a) => {
            let key = secret_key(settings)?;
            let link = store.write(|c| {
                onboarding::reset_link(c, actor, settings, &key, now(), &a.username, !a.no_email)
            })?;
            print_link(json, &a.username, &link, "password reset link");
        }
        UserCommand::Add(a) => {
            let new = admin::users::NewUser::parse(
                &a.username,
                &a.email,
                a.name.as_deref(),
                a.admin,
                a.email_verified,
            )?;
            let (pw, generated) = obtain_password(a.password_stdin)?;
            let password_hash = hash(&pw)?;
            let user = store.write(|c| admin::users::add(c, actor, now(), &new, &password_hash))?;
            let out = serde_json::json!({
                "username": user.username,
                "subject": user.subject,
                "email": user.email,
                "password": if generated { Some(&pw) } else { None },
            });
            print(json, &out, || {
                let mut s = format!("created user {} (subject {})", user.username, user.subject);
                if generated {
                    s.push_str(&format!(
                        "\npassword: {pw}\nThis password is shown only once."
                    ));
                }
                s
            });
        }
        UserCommand::Update(a) => {
            let change = admin::users::UserUpdate {
                email: a.email,
                email_verified: either(a.email_verified, a.no_email_verified),
                name: a.name,
                is_admin: either(a.admin, a.no_admin),
            };
            let u = store.write(|c| admin::users::update(c, actor, now(), &a.username, &change))?;
            print(json, &u, || format!("updated user {}", u.username));
        }
        UserCommand::List => {
            let list = store.read(admin::users::list)?;
            print(json, &list, || {
                if list.is_empty() {
                    return "no users".into();
                }
                list.iter()
                    .map(|u| {
                        let flags = [(u.is_admin, "admin"), (u.disabled, "disabled")]
                            .iter()
                            .filter(|(on, _)| *on)
                            .map(|(_, f)| *f)
                            .collect::<Vec<_>>()
                            .join(",");
                        format!("{}\t{}\t{}", u.username, u.email, flags)
                            .trim_end()
                            .to_owned()
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        UserCommand::Show { username } => {
            let detail = store.read(|c| admin::users::show(c, &username))?;
            let admin::users::UserDetail {
                user: u,
                groups: member_of,
                attributes: attrs,
                factors,
                passkeys: keys,
                identities,
            } = &detail;
            let out = detail.to_json();
            print(json, &out, || {
                let attr_text: Vec<String> =
                    attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let id_text: Vec<String> = identities
                    .iter()
                    .map(|i| {
                        format!(
                            "{} (sub {}{}, linked {})",
                            i.upstream,
                            i.subject,
                            i.email
                                .as_deref()
                                .map(|e| format!(", {e}"))
                                .unwrap_or_default(),
                            show_time(i.created_at)
                        )
                    })
                    .collect();
                let key_text: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{:?} (added {})", k.name, show_time(k.created_at)))
                    .collect();
                format!(
                    "username:       {}\nsubject:        {}\nemail:          {}{}\nname:           {}\nadmin:          {}\ndisabled:       {}\ngroups:         {}\nattributes:     {}\nsecond factors: {}\npasskeys:       {}\nupstream:       {}\ncreated:        {}",
                    u.username,
                    u.subject,
                    u.email,
                    if u.email_verified { " (verified)" } else { "" },
                    u.name.as_deref().unwrap_or("-"),
                    u.is_admin,
                    u.disabled,
                    if member_of.is_empty() {
                        "-".into()
                    } else {
                        member_of.join(" ")
                    },
                    if attr_text.is_empty() {
                        "-".into()
                    } else {
                        attr_text.join(" ")
                    },
                    factors_text(factors),
                    if key_text.is_empty() {
                        "-".into()
                    } else {
                        key_text.join(", ")
                    },
                    if id_text.is_empty() {
                        "-".into()
                    } else {
                        id_text.join(", ")
                    },
                    show_time(u.created_at)
                )
            });
        }
        UserCommand::SetAttribute {
            username,
            key,
            value,
        } => {
            let (key, value) = store
                .write(|c| admin::users::set_attribute(c, actor, now(), &username, &key, &value))?;
            print(
                json,
                &serde_json::json!({ "username": username, "key": key, "value": value }),
                || format!("set {key} for {username}"),
            );
        }
        UserCommand::UnsetAttribute { username, key } => {
            store.write(|c| admin::users::unset_attribute(c, actor, now(), &username, &key))?;
            print(
                json,
                &serde_json::json!({ "username": username, "removed": key }),
                || format!("removed {key} from {username}"),
            );
        }
        UserCommand::ResetMfa { username } => {
            let removed = store.write(|c| admin::users::reset_mfa(c, actor, now(), &username))?;
            print(
                json,
                &serde_json::json!({ "username": username, "removed": admin::users::factors_json(&removed) }),
                || {
                    format!(
                        "removed the second factors of {username} (was: {}); their sessions were ended",
                        factors_text(&removed)
                    )
                },
            );
        }
        UserCommand::Unlink { username, upstream } => {
            let (removed, still) =
                store.write(|c| admin::users::unlink(c, actor, now(), &username, &upstream))?;
            print(
                json,
                &serde_json::json!({
                    "username": username, "upstream": upstream, "unlinked": removed,
                    "can_sign_in": still,
                }),
                || {
                    let mut s = format!("unlinked {username} from upstream {upstream}");
                    if !still {
                        s.push_str(&format!("\n{username} has no other way to sign in now; give them a password with `latchkey user set-password {username}`"));
                    }
                    s
                },
            );
        }
        UserCommand::Disable { username } => set_disabled(store, &username, true, json)?,
        UserCommand::Enable { username } => set_disabled(store, &username, false, json)?,
        UserCommand::SetPassword(a) => {
            let (pw, generated) = obtain_password(a.password_stdin)?;
            let h = hash(&pw)?;
            store.write(|c| admin::users::set_password(c, actor, now(), &a.username, &h))?;
            let out = serde_json::json!({ "username": a.username, "password": if generated { Some(&pw) } else { None } });
            print(json, &out, || {
                let mut s = format!(
                    "password changed for {}; their sessions were ended",
                    a.username
                );
                if generated {
                    s.push_str(&format!(
                        "\npassword: {pw}\nThis password is shown only once."
                    ));
                }
                s
            });
        }
        UserCommand::Remove { username } => {
            store.write(|c| admin::users::remove(c, actor, now(), &username))?;
            print(json, &serde_json::json!({ "removed": username }), || {
                format!("removed user {username}")
            });
        }
    }
    Ok(())
}

/// What `user show` says about second factors.
fn factors_text(f: &mfa::Enrolled) -> String {
    let mut parts = Vec::new();
    if let Some(t) = f.totp_since {
        parts.push(format!("authenticator app (since {})", show_time(t)));
    }
    if f.passkeys > 0 {
        parts.push(format!("{} passkey(s)", f.passkeys));
    }
    if f.recovery_total > 0 {
        parts.push(format!(
            "recovery codes {} of {} left",
            f.recovery_left, f.recovery_total
        ));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

fn set_disabled(store: &Store, username: &str, disabled: bool, json: bool) -> Result<(), CliError> {
    store.write(|c| admin::users::set_disabled(c, &Actor::Cli, now(), username, disabled))?;
    let word = if disabled { "disabled" } else { "enabled" };
    print(
        json,
        &serde_json::json!({ "username": username, "disabled": disabled }),
        || format!("{word} user {username}"),
    );
    Ok(())
}

//! Who a verified upstream identity is here, and the rules of linking.
//!
//! An identity is linked by (issuer, subject) only, never by email alone. At every sign-in the
//! allowed email domains, the local user's disabled state and (with `groups_claim`) the groups
//! are checked again. The first sign-in of an unknown identity:
//!
//! 1. `create_users = true`: a new user from the claims;
//! 2. else `link = "verified-email"`, the provider verified the email, and exactly one local
//!    user holds it, verified here too: linked (audited);
//! 3. else the "No account is linked" page, where the local password links it.
//!
//! A federated sign-in is one factor (`amr` `fed`, `acr` pwd); the user's own second factor
//! policy applies after it exactly as after a password.

use super::flow::{self, Purpose};
use super::{FLOW_TTL_SECS, Identity};
use crate::config::{LinkRule, Settings, Upstream};
use crate::crypto::random;
use crate::domain::{Email, Method, Methods, Username};
use crate::oidc::authorize as az;
use crate::oidc::interaction::sign_in::{self, How, SignedIn};
use crate::oidc::login::{self, ClientInfo};
use crate::store::upstream::{self as store, Flow, PendingLink};
use crate::store::users::{self, User};
use crate::store::{StoreError, Tx, audit, groups};
use serde_json::json;

/// The stored password hash of an account that has no password (made by a provider).
pub const NO_PASSWORD: &str = "";

/// The browser a callback came from.
#[derive(Debug, Clone, Copy)]
pub struct Browser<'a> {
    pub session_cookie: Option<&'a str>,
    pub browser_cookie: Option<&'a str>,
    /// The upstream binding cookie.
    pub binding: &'a str,
    pub info: &'a ClientInfo,
}

/// What became of a verified identity.
#[derive(Debug)]
pub enum Resolved {
    /// Signed in: set the cookies, go to `go`.
    SignedIn { signed_in: SignedIn, go: String },
    /// Nobody is linked to it: `/upstream/link?t=HANDLE` offers the local password.
    NeedsLink { handle: String },
    /// Linked to the signed-in account (from the account page).
    Linked,
    /// It was linked to the signed-in account already.
    AlreadyLinked,
}

/// Why a verified identity may not sign in (or be linked). Each is a page and an audit row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `allowed_email_domains` is set and the verified email is not in one of them.
    DomainNotAllowed,
    /// A new user needs an email and the provider gave none (or an unusable one).
    MissingEmail,
    /// The local user is disabled.
    Disabled,
    /// Linking: the identity belongs to another account.
    LinkedElsewhere,
    /// Linking: the account page's session ended meanwhile.
    SessionGone,
    /// The authorization request (or the waiting link) expired meanwhile.
    Expired,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::DomainNotAllowed => "email_domain_not_allowed",
            Refusal::MissingEmail => "email_missing",
            Refusal::Disabled => "user_disabled",
            Refusal::LinkedElsewhere => "linked_to_another_account",
            Refusal::SessionGone => "session_ended",
            Refusal::Expired => "request_expired",
        }
    }
}

type Step<T> = Result<Result<T, Refusal>, StoreError>;

/// Refuse: audited with the user it concerns, if any.
fn refuse<T>(
    c: &Tx<'_>,
    who: &Identity,
    why: Refusal,
    user: Option<&User>,
    b: &Browser<'_>,
    now: i64,
) -> Step<T> {
    let detail = json!({"issuer": who.issuer, "sub": who.subject, "email": who.email}).to_string();
    flow::failed(
        c,
        &who.upstream,
        why.reason(),
        Some(&detail),
        user,
        b.info.ip.as_deref(),
        now,
    )?;
    Ok(Err(why))
}

/// Decide for an identity the provider vouched for at the end of `flow` (see the module's
/// rules), in one transaction.
pub fn resolve(
    c: &Tx<'_>,
    settings: &Settings,
    up: &Upstream,
    who: &Identity,
    flow: &Flow,
    b: &Browser<'_>,
    now: i64,
) -> Step<Resolved> {
    if !up.allowed_email_domains.is_empty()
        && !who.verified_email().is_some_and(|e| up.allows_email(e))
    {
        return refuse(c, who, Refusal::DomainNotAllowed, None, b, now);
    }
    let pending = match unpark(c, flow.pending.as_deref(), now)? {
        Ok(p) => p,
        Err(r) => return refuse(c, who, r, None, b, now),
    };
    let next = flow.next.as_deref().unwrap_or("/");
    let known = store::find_identity(c, &who.issuer, &who.subject)?;
    if flow.purpose == Purpose::Link.as_str() {
        return link_to_session(c, settings, who, known, flow.session_id, b, now);
    }
    if let Some(i) = known {
        let user = users::get_user(c, i.user_id)?;
        if user.disabled {
            return refuse(c, who, Refusal::Disabled, Some(&user), b, now);
        }
        store::touch_identity(c, i.id, who.email.as_deref(), now)?;
        return sign_in_as(c, settings, &user, who, pending, next, b, now);
    }
    if up.create_users {
        let Some(user) = create_user(c, who, now)? else {
            return refuse(c, who, Refusal::MissingEmail, None, b, now);
        };
        linked(
            c,
            &user,
            who,
            "created",
            &format!("upstream:{}", up.id),
            now,
        )?;
        return sign_in_as(c, settings, &user, who, pending, next, b, now);
    }
    if up.link == LinkRule::VerifiedEmail
        && let Some(email) = who.verified_email()
        && let [user] = users::list_users_by_email(c, email, 2)?.as_slice()
        && user.email_verified
    {
        if user.disabled {
            return refuse(c, who, Refusal::Disabled, Some(user), b, now);
        }
        linked(
            c,
            user,
            who,
            "verified-email",
            &format!("upstream:{}", up.id),
            now,
        )?;
        return sign_in_as(c, settings, user, who, pending, next, b, now);
    }
    // Nobody: the person may link it with their local password.
    let handle = random::token();
    let identity = serde_json::to_string(who).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store::insert_link(
        c,
        &random::hash_token(&handle),
        &PendingLink {
            upstream_id: up.id.clone(),
            binding_hash: random::hash_token(b.binding),
            identity,
            pending: flow.pending.clone(),
            next: flow.next.clone(),
            expires_at: now + FLOW_TTL_SECS,
        },
    )?;
    Ok(Ok(Resolved::NeedsLink { handle }))
}

/// The parked authorization request `handle` names, if any; Expired when it is gone.
#[allow(clippy::type_complexity)]
fn unpark(
    c: &Tx<'_>,
    handle: Option<&str>,
    now: i64,
) -> Result<Result<Option<(String, az::AuthRequest)>, Refusal>, StoreError> {
    Ok(match handle {
        None => Ok(None),
        Some(h) => match az::unpark(c, h, now)? {
            Some((req, _)) => Ok(Some((h.to_owned(), req))),
            None => Err(Refusal::Expired),
        },
    })
}

/// The account page's "link" flow: the identity joins the signed-in account, unless it is
/// someone else's.
fn link_to_session(
    c: &Tx<'_>,
    settings: &Settings,
    who: &Identity,
    known: Option<store::Identity>,
    session_id: Option<i64>,
    b: &Browser<'_>,
    now: i64,
) -> Step<Resolved> {
    let session = match b.session_cookie {
        Some(ck) => login::current_session(c, ck, settings, now)?,
        None => None,
    };
    let Some((s, user)) = session.filter(|(s, _)| Some(s.id) == session_id) else {
        return refuse(c, who, Refusal::SessionGone, None, b, now);
    };
    login::touch(c, &s, now)?;
    match known {
        Some(i) if i.user_id == user.id => Ok(Ok(Resolved::AlreadyLinked)),
        Some(_) => refuse(c, who, Refusal::LinkedElsewhere, Some(&user), b, now),
        None => {
            linked(c, &user, who, "account", &user.username, now)?;
            Ok(Ok(Resolved::Linked))
        }
    }
}

/// Link `who` to `user` and audit it (`upstream.linked`, with how).
fn linked(
    c: &Tx<'_>,
    user: &User,
    who: &Identity,
    how: &str,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    store::insert_identity(
        c,
        user.id,
        &who.upstream,
        &who.issuer,
        &who.subject,
        who.email.as_deref(),
        now,
    )?;
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "upstream.linked".into(),
            actor: Some(actor.to_owned()),
            subject: Some(user.subject.clone()),
            detail: Some(
                json!({
                    "upstream": who.upstream, "issuer": who.issuer, "sub": who.subject,
                    "email": who.email, "how": how, "username": user.username,
                })
                .to_string(),
            ),
            ..Default::default()
        },
    )
}

/// A new user from the claims: username from `preferred_username` or the email's local part,
/// made unique; no password. None without a usable email.
fn create_user(c: &Tx<'_>, who: &Identity, now: i64) -> Result<Option<User>, StoreError> {
    let Some(email) = who.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        return Ok(None);
    };
    let local = email.as_str().rsplit_once('@').map_or("", |(l, _)| l);
    let base: String = who
        .preferred_username
        .as_deref()
        .filter(|u| !u.is_empty())
        .unwrap_or(local)
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | '@'))
        .take(56)
        .collect();
    let base = if base.is_empty() { "user".into() } else { base };
    let mut username = None;
    for n in 1..1000 {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if Username::parse(&candidate).is_ok()
            && users::find_user_by_username(c, &candidate)?.is_none()
        {
            username = Some(candidate);
            break;
        }
    }
    let Some(username) = username else {
        return Ok(None);
    };
    let subject = uuid::Uuid::new_v4().to_string();
    let user = users::insert_user(
        c,
        &users::NewUser {
            subject: &subject,
            username: &username,
            email: email.as_str(),
            email_verified: who.email_verified,
            name: who.name.as_deref(),
            password_hash: NO_PASSWORD,
            is_admin: false,
        },
        now,
    )?;
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "user.created".into(),
            actor: Some(format!("upstream:{}", who.upstream)),
            subject: Some(user.username.clone()),
            ..Default::default()
        },
    )?;
    Ok(Some(user))
}

/// Membership of the local groups the provider names (groups not defined here are ignored),
/// and of no others. Audited when it changes.
fn sync_groups(c: &Tx<'_>, user: &User, who: &Identity, now: i64) -> Result<(), StoreError> {
    let Some(wanted) = &who.groups else {
        return Ok(());
    };
    let have = groups::list_user_group_names(c, user.id)?;
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for name in wanted {
        if !have.contains(name)
            && let Some(g) = groups::find_group(c, name)?
            && groups::insert_member(c, g.id, user.id, now)?
        {
            added.push(g.name);
        }
    }
    for name in have.iter().filter(|h| !wanted.contains(h)) {
        if let Some(g) = groups::find_group(c, name)?
            && groups::delete_member(c, g.id, user.id)?
        {
            removed.push(g.name);
        }
    }
    if added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "upstream.groups_updated".into(),
            actor: Some(format!("upstream:{}", who.upstream)),
            subject: Some(user.subject.clone()),
            detail: Some(json!({"added": added, "removed": removed}).to_string()),
            ..Default::default()
        },
    )
}

/// Sign `user` in with `who` (methods `fed`): groups from the provider, a new session, and on
/// into the parked request exactly as after a password.
#[allow(clippy::too_many_arguments)]
fn sign_in_as(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    who: &Identity,
    pending: Option<(String, az::AuthRequest)>,
    next: &str,
    b: &Browser<'_>,
    now: i64,
) -> Step<Resolved> {
    sync_groups(c, user, who, now)?;
    let how = How {
        methods: Methods::of(&[Method::Fed]),
        // The provider's own acr/amr are recorded, never trusted for ours.
        detail: Some(
            json!({
                "method": "upstream", "upstream": who.upstream, "issuer": who.issuer,
                "sub": who.subject, "upstream_acr": who.acr, "upstream_amr": who.amr,
            })
            .to_string(),
        ),
    };
    let handle = pending.as_ref().map(|(h, _)| h.clone());
    let signed_in = sign_in::succeeded_with(
        c,
        settings,
        user,
        &how,
        (b.session_cookie, b.browser_cookie),
        pending.as_ref().map(|(h, r)| (h.as_str(), r.clone())),
        b.info,
        now,
    )?;
    let go = sign_in::go_after(handle.as_deref(), next, signed_in.second_factor_due);
    Ok(Ok(Resolved::SignedIn { signed_in, go }))
}

/// The identity waiting on the "No account is linked" page, for this browser; None when it
/// expired, was used, or another browser holds it.
pub fn waiting(
    c: &Tx<'_>,
    handle: &str,
    binding: Option<&str>,
    now: i64,
) -> Result<Option<(Identity, PendingLink)>, StoreError> {
    let Some(l) = store::find_link(c, &random::hash_token(handle), now)? else {
        return Ok(None);
    };
    if !binding.is_some_and(|b| random::constant_time_eq(&random::hash_token(b), &l.binding_hash)) {
        return Ok(None);
    }
    Ok(serde_json::from_str(&l.identity).ok().map(|who| (who, l)))
}

/// The local password was right: link the waiting identity to `user` and sign in with it.
pub fn finish_with_password(
    c: &Tx<'_>,
    settings: &Settings,
    handle: &str,
    user: &User,
    b: &Browser<'_>,
    now: i64,
) -> Step<Resolved> {
    let Some((who, l)) = waiting(c, handle, Some(b.binding), now)? else {
        return Ok(Err(Refusal::Expired));
    };
    store::consume_link(c, &random::hash_token(handle), now)?;
    if store::find_identity(c, &who.issuer, &who.subject)?.is_some() {
        return refuse(c, &who, Refusal::LinkedElsewhere, Some(user), b, now);
    }
    if user.disabled {
        return refuse(c, &who, Refusal::Disabled, Some(user), b, now);
    }
    let pending = match unpark(c, l.pending.as_deref(), now)? {
        Ok(p) => p,
        Err(r) => return refuse(c, &who, r, Some(user), b, now),
    };
    linked(c, user, &who, "password", &user.username, now)?;
    let next = l.next.as_deref().unwrap_or("/");
    sign_in_as(c, settings, user, &who, pending, next, b, now)
}

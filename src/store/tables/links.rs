//! One-time links (invite, password reset, email verification), stored by the hash of their token.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Invite,
    Reset,
    VerifyEmail,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invite => "invite",
            LinkKind::Reset => "reset",
            LinkKind::VerifyEmail => "verify_email",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "invite" => Some(LinkKind::Invite),
            "reset" => Some(LinkKind::Reset),
            "verify_email" => Some(LinkKind::VerifyEmail),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Link {
    pub kind: LinkKind,
    pub user_id: i64,
    pub client_id: Option<String>,
    pub email: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub kind: LinkKind,
    pub user_id: i64,
    pub client_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub expires_at: i64,
}

const COLUMNS: &str = "kind, user_id, client_id, email, created_at, expires_at, used_at";

fn from_row(r: &Row<'_>) -> crate::store::Result<Link> {
    let kind: String = r.get(0)?;
    Ok(Link {
        kind: LinkKind::parse(&kind).ok_or_else(|| {
            crate::store::StoreError::Corrupt(format!("unknown link kind {kind:?}"))
        })?,
        user_id: r.get(1)?,
        client_id: r.get(2)?,
        email: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        used_at: r.get(6)?,
    })
}

/// Store a new link. Unused links of the same kind for the same user are deleted first: only
/// the newest invite or reset link works.
pub fn insert_link(tx: &Tx<'_>, l: &NewLink<'_>, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "DELETE FROM user_links WHERE user_id = ?1 AND kind = ?2 AND used_at IS NULL",
    )?
    .execute(params![l.user_id, l.kind.as_str()])?;
    c.prepare_cached(
        "INSERT INTO user_links (token_hash, kind, user_id, client_id, email, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        l.token_hash,
        l.kind.as_str(),
        l.user_id,
        l.client_id,
        l.email,
        now,
        l.expires_at
    ])
    .map_err(|e| crate::store::conflict_or(e, || "this link exists already".to_owned()))?;
    Ok(())
}

/// The link with this token hash, used or not, expired or not.
pub fn find_link(tx: &Tx<'_>, token_hash: &str) -> Result<Option<Link>> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM user_links WHERE token_hash = ?1"
    ))?
    .query_row([token_hash], from_row)
    .optional()
}

/// Mark the link used, once: true only for the one caller that found it unused and unexpired.
pub fn consume_link(tx: &Tx<'_>, token_hash: &str, kind: LinkKind, now: i64) -> Result<bool> {
    let c = tx.conn();
    let n = c
        .prepare_cached(
            "UPDATE user_links SET used_at = ?3 \
             WHERE token_hash = ?1 AND kind = ?2 AND used_at IS NULL AND expires_at > ?3",
        )?
        .execute(params![token_hash, kind.as_str(), now])?;
    Ok(n == 1)
}

/// Forget a user's unused links of `kind` (a password set another way, say).
pub fn delete_unused_links(tx: &Tx<'_>, user_id: i64, kind: LinkKind) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "DELETE FROM user_links WHERE user_id = ?1 AND kind = ?2 AND used_at IS NULL",
    )?
    .execute(params![user_id, kind.as_str()])?;
    Ok(())
}

/// Whether a link's kind and state allow its use now.
pub fn check_usable(
    link: Option<Link>,
    kind: LinkKind,
    now: i64,
) -> std::result::Result<Link, Unusable> {
    match link {
        None => Err(Unusable::Unknown),
        Some(l) if l.kind != kind => Err(Unusable::Unknown),
        Some(l) if l.used_at.is_some() => Err(Unusable::Used),
        Some(l) if l.expires_at <= now => Err(Unusable::Expired),
        Some(l) => Ok(l),
    }
}

/// Why a link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    Unknown,
    Used,
    Expired,
}

//! The first step: an authorization request arrives (`/authorize`), or comes back after the
//! browser signed in or consented (`/authorize/resume`).

use super::{Outcome, Visit, next_step};
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::oidc::authorize as az;
use crate::oidc::params::Params;
use crate::store::{StoreError, Tx};

/// A new request: validate it (in order: client, redirect_uri, then the rest), then decide.
pub fn start(
    c: &Tx<'_>,
    settings: &Settings,
    ring: &KeyRing,
    visit: &Visit,
    params: &Params,
) -> Result<Outcome, StoreError> {
    match az::validate(c, params, ring, settings, visit.now) {
        Ok((areq, client)) => next_step(c, settings, visit, areq, client, None),
        Err(rejection) => Ok(Outcome::Rejected(rejection)),
    }
}

/// A parked request, after a sign-in or consent: decide again with the browser as it is now.
pub fn resume(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    handle: &str,
) -> Result<Outcome, StoreError> {
    match az::unpark(c, handle, visit.now)? {
        Some((areq, client)) => {
            next_step(c, settings, visit, areq, client, Some(handle.to_owned()))
        }
        None => Ok(Outcome::Expired),
    }
}

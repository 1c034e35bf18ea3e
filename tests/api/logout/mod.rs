//! RP-initiated and back-channel logout.

mod csrf;
mod redirect_attacks;
mod rp_and_backchannel;

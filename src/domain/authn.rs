//! How a person signed in: the authentication methods used (RFC 8176 `amr` values) and the
//! level they reach (the `acr` of the ID token).
//!
//! Levels, weakest first: `urn:latchkey:acr:pwd` (one factor) < `urn:latchkey:acr:mfa` (two
//! factors) < `phr` (a passkey: phishing-resistant, as in the OpenID EAP ACR values). A session
//! stores its methods (`sessions.amr`, space separated) and its level is computed from them, so
//! the two can never disagree.

use std::fmt;

/// One RFC 8176 authentication method reference, in the order the `amr` array lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// Federated: signed in at an upstream provider (`[[upstream]]`). One factor, whatever the
    /// upstream itself says about its own sign-in.
    Fed,
    /// A password.
    Pwd,
    /// A one-time password: an authenticator app's code (TOTP) or a recovery code.
    Otp,
    /// A hardware-bound key (a passkey that cannot leave its device).
    Hwk,
    /// A software-secured key (a synced, backup-eligible passkey).
    Swk,
    /// The authenticator verified the user (PIN or biometrics: WebAuthn UV).
    User,
    /// More than one factor (two factors, or a user-verified passkey).
    Mfa,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::Fed,
        Method::Pwd,
        Method::Otp,
        Method::Hwk,
        Method::Swk,
        Method::User,
        Method::Mfa,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Fed => "fed",
            Method::Pwd => "pwd",
            Method::Otp => "otp",
            Method::Hwk => "hwk",
            Method::Swk => "swk",
            Method::User => "user",
            Method::Mfa => "mfa",
        }
    }

    /// A passkey (WebAuthn credential), synced or not.
    fn is_passkey(self) -> bool {
        matches!(self, Method::Hwk | Method::Swk)
    }

    /// Something the user knows or has; `user` and `mfa` only qualify others.
    fn is_factor(self) -> bool {
        matches!(
            self,
            Method::Fed | Method::Pwd | Method::Otp | Method::Hwk | Method::Swk
        )
    }
}

/// The methods of one sign-in: a set, always listed in [`Method`] order, with `mfa` present
/// exactly when two factors or a user-verified passkey were used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Methods(Vec<Method>);

impl Methods {
    /// From the stored form (`"pwd otp mfa"`). Unknown words are dropped, and `mfa` is
    /// recomputed, so a stored value can claim nothing its factors do not show.
    pub fn parse(stored: &str) -> Self {
        let mut m = Methods::default();
        for w in stored.split(' ') {
            if let Some(x) = Method::parse(w) {
                m = m.with(x);
            }
        }
        m
    }

    pub fn of(list: &[Method]) -> Self {
        list.iter().fold(Methods::default(), |m, x| m.with(*x))
    }

    /// These methods and `m` (a second factor on top of a password, say).
    pub fn with(mut self, m: Method) -> Self {
        if m != Method::Mfa && !self.0.contains(&m) {
            self.0.push(m);
        }
        self.0.retain(|x| *x != Method::Mfa);
        let factors = self.0.iter().filter(|x| x.is_factor()).count();
        let verified_passkey =
            self.0.contains(&Method::User) && self.0.iter().any(|x| x.is_passkey());
        if factors >= 2 || verified_passkey {
            self.0.push(Method::Mfa);
        }
        self.0.sort();
        self
    }

    pub fn contains(&self, m: Method) -> bool {
        self.0.contains(&m)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `amr` array of an ID token.
    pub fn to_list(&self) -> Vec<String> {
        self.0.iter().map(|m| m.as_str().to_owned()).collect()
    }

    /// The level these methods reach: a passkey that verified the user, or a passkey with
    /// another factor, is `phr`; any two factors are `mfa`; anything else one factor.
    pub fn acr(&self) -> Acr {
        let passkey = self.0.iter().any(|x| x.is_passkey());
        if passkey && self.contains(Method::Mfa) {
            Acr::Phr
        } else if self.contains(Method::Mfa) {
            Acr::Mfa
        } else {
            Acr::Pwd
        }
    }
}

/// The stored form: space separated, e.g. `pwd otp mfa`.
impl fmt::Display for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.0.iter().map(|m| m.as_str()).collect();
        f.write_str(&words.join(" "))
    }
}

/// An authentication context class reference: how strong a sign-in is. Ordered weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Acr {
    /// One factor (a password, or a passkey that did not verify the user).
    Pwd,
    /// Two factors (password and authenticator app, say).
    Mfa,
    /// Phishing-resistant: a passkey.
    Phr,
}

impl Acr {
    /// Every level latchkey can reach, weakest first (`acr_values_supported`).
    pub const ALL: [Acr; 3] = [Acr::Pwd, Acr::Mfa, Acr::Phr];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Acr::Pwd => "urn:latchkey:acr:pwd",
            Acr::Mfa => "urn:latchkey:acr:mfa",
            Acr::Phr => "phr",
        }
    }

    /// The known levels in a space-separated list (`acr_values`); unknown ones are dropped
    /// (OIDC Core §3.1.2.1: acr_values is a voluntary request).
    pub fn parse_list(s: &str) -> Vec<Acr> {
        let mut v: Vec<Acr> = s.split(' ').filter_map(Acr::parse).collect();
        v.sort();
        v.dedup();
        v
    }
}

impl fmt::Display for Acr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request that lists `asked` (known levels, any order) needs of a sign-in at `have`:
/// nothing more when `have` meets one of them, else the lowest one listed (the step-up).
pub fn step_up_to(asked: &[Acr], have: Acr) -> Option<Acr> {
    if asked.is_empty() || asked.iter().any(|a| *a <= have) {
        None
    } else {
        asked.iter().min().copied()
    }
}

/// The `acr` an ID token carries for a sign-in at `have`: the highest listed value it meets,
/// or its own level when nothing (known) was listed.
pub fn acr_for_token(asked: &[Acr], have: Acr) -> Acr {
    asked
        .iter()
        .filter(|a| **a <= have)
        .max()
        .copied()
        .unwrap_or(have)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_list_in_rfc_order_with_mfa_for_two_factors() {
        let m = Methods::of(&[Method::Otp, Method::Pwd]);
        assert_eq!(m.to_list(), ["pwd", "otp", "mfa"]);
        assert_eq!(m.to_string(), "pwd otp mfa");
        assert_eq!(m.acr(), Acr::Mfa);
        assert_eq!(Methods::parse("pwd").acr(), Acr::Pwd);
        assert_eq!(Methods::parse("pwd").to_list(), ["pwd"]);
    }

    #[test]
    fn a_user_verified_passkey_alone_is_phishing_resistant_multi_factor() {
        let m = Methods::of(&[Method::Hwk, Method::User]);
        assert_eq!(m.to_list(), ["hwk", "user", "mfa"]);
        assert_eq!(m.acr(), Acr::Phr);
        assert_eq!(Methods::of(&[Method::Swk, Method::User]).acr(), Acr::Phr);
        assert_eq!(Methods::of(&[Method::Pwd, Method::Hwk]).acr(), Acr::Phr);
        assert_eq!(
            Methods::of(&[Method::Hwk]).acr(),
            Acr::Pwd,
            "no UV: one factor"
        );
    }

    #[test]
    fn a_federated_sign_in_is_one_factor_and_a_local_second_factor_makes_two() {
        assert_eq!(Methods::parse("fed").acr(), Acr::Pwd);
        assert_eq!(Methods::parse("fed").to_list(), ["fed"]);
        let m = Methods::of(&[Method::Fed, Method::Otp]);
        assert_eq!(m.to_list(), ["fed", "otp", "mfa"]);
        assert_eq!(m.acr(), Acr::Mfa);
    }

    #[test]
    fn stored_methods_cannot_claim_mfa_their_factors_do_not_show() {
        assert_eq!(Methods::parse("pwd mfa").to_list(), ["pwd"]);
        assert_eq!(
            Methods::parse("pwd bogus otp").to_list(),
            ["pwd", "otp", "mfa"]
        );
        assert_eq!(Methods::parse("").acr(), Acr::Pwd);
    }

    #[test]
    fn levels_parse_order_and_print() {
        assert!(Acr::Pwd < Acr::Mfa && Acr::Mfa < Acr::Phr);
        for a in Acr::ALL {
            assert_eq!(Acr::parse(a.as_str()), Some(a));
        }
        assert_eq!(Acr::parse("urn:latchkey:acr:MFA"), None);
        assert_eq!(
            Acr::parse_list("phr 1 urn:latchkey:acr:pwd phr"),
            [Acr::Pwd, Acr::Phr]
        );
    }

    #[test]
    fn a_request_steps_up_to_the_lowest_listed_value_only_when_none_is_met() {
        use Acr::*;
        assert_eq!(step_up_to(&[], Pwd), None);
        assert_eq!(step_up_to(&[Mfa], Pwd), Some(Mfa));
        assert_eq!(step_up_to(&[Phr, Mfa], Pwd), Some(Mfa));
        assert_eq!(step_up_to(&[Pwd, Mfa, Phr], Pwd), None, "every value: met");
        assert_eq!(step_up_to(&[Mfa], Phr), None);
        assert_eq!(step_up_to(&[Phr], Mfa), Some(Phr));
    }

    #[test]
    fn the_token_carries_the_highest_listed_value_the_sign_in_meets() {
        use Acr::*;
        assert_eq!(acr_for_token(&[], Mfa), Mfa);
        assert_eq!(acr_for_token(&[Pwd, Mfa, Phr], Mfa), Mfa);
        assert_eq!(acr_for_token(&[Pwd, Phr], Mfa), Pwd);
        assert_eq!(acr_for_token(&[Mfa], Phr), Mfa);
    }
}

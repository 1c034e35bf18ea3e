//! JWT parsing and verification: `crypto::jwt::verify` against our key ring, and the
//! `id_token_hint` check of the authorization endpoint.
//!
//! The input is used twice: as a token of its own, and as a list of edits applied to one of the
//! fixture's valid tokens. Any edited token that differs from the original must be refused.
#![no_main]

use latchkey::crypto::jwt;
use latchkey::oidc::authorize::id_token_hint_subject;
use latchkey::oidc::signed_tokens::{ACCESS_TOKEN_TYP, ID_TOKEN_TYP};
use latchkey_fuzz::{PUBLIC_CLIENT, fixture};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let typs = [ID_TOKEN_TYP, ACCESS_TOKEN_TYP];

    // 1. The input as a token.
    let text = String::from_utf8_lossy(data);
    for typ in typs {
        let _ = jwt::verify(&f.ring, &text, &[typ]);
    }
    let _ = id_token_hint_subject(&f.ring, &f.settings, PUBLIC_CLIENT, &text);

    // 2. The input as edits of a real token: (op, position high, position low, byte) groups.
    let Some((&which, edits)) = data.split_first() else {
        return;
    };
    let original = &f.tokens[which as usize % f.tokens.len()];
    let mut t = original.as_bytes().to_vec();
    for e in edits.chunks_exact(4) {
        let pos = (usize::from(e[1]) << 8 | usize::from(e[2])) % (t.len() + 1);
        let ch = ALPHABET[usize::from(e[3]) % ALPHABET.len()];
        match e[0] % 4 {
            0 if pos < t.len() => t[pos] = ch,
            1 => t.insert(pos, ch),
            2 if pos < t.len() => {
                t.remove(pos);
            }
            3 if pos < t.len() => t[pos] ^= 1 << (e[3] % 7),
            _ => {}
        }
    }
    let Ok(mutated) = String::from_utf8(t) else {
        return;
    };
    let all = [ID_TOKEN_TYP, ACCESS_TOKEN_TYP];
    let result = jwt::verify(&f.ring, &mutated, &all);
    if mutated == *original {
        assert!(
            result.is_ok(),
            "a valid token stopped verifying: {result:?}"
        );
    } else {
        assert!(
            result.is_err(),
            "an altered token verified:\n original {original}\n altered  {mutated}"
        );
        assert!(id_token_hint_subject(&f.ring, &f.settings, PUBLIC_CLIENT, &mutated).is_none());
    }
});

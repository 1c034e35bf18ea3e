//! Forged JWTs (RFC 8725 §3.1): whatever algorithm, key or key reference a token names, only
//! our own keys with their own algorithms verify it.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use josekit::jws::{JwsAlgorithm, JwsSigner, JwsVerifier};
use latchkey::crypto::keys::Alg;
use latchkey::crypto::random;
use serde_json::{Value, json};

#[tokio::test]
async fn a_token_with_alg_none_is_refused() {
    let v = victim().await;
    for alg in ["none", "None", "NONE", "nOnE"] {
        v.refused_everywhere(
            &format!("alg {alg} with our kid"),
            json!({ "alg": alg, "kid": v.rs_kid }),
            None,
        )
        .await;
        v.refused_everywhere(
            &format!("alg {alg} without kid"),
            json!({ "alg": alg }),
            None,
        )
        .await;
    }
    // alg none in front of the genuine signature.
    let sig = v.access.rsplit('.').next().unwrap();
    let header = json!({ "alg": "none", "kid": v.rs_kid, "typ": "at+jwt" });
    let forged = format!(
        "{}.{}.{sig}",
        b64(header.to_string()),
        b64(v.access_claims().to_string())
    );
    v.refused_as_access_token("alg none with the genuine signature kept", &forged)
        .await;
    v.unharmed().await;
}

#[tokio::test]
async fn an_hmac_signed_token_naming_our_kid_is_refused() {
    let v = victim().await;
    let keys: [(&str, Vec<u8>); 3] = [
        ("a random secret", random::token().repeat(2).into_bytes()),
        ("our kid as the secret", v.rs_kid.repeat(8).into_bytes()),
        ("a secret of zero bytes", vec![0u8; 64]),
    ];
    for alg in [
        josekit::jws::HS256,
        josekit::jws::HS384,
        josekit::jws::HS512,
    ] {
        for (label, key) in &keys {
            let signer = alg.signer_from_bytes(key).expect("HMAC signer");
            v.refused_everywhere(
                &format!("{} with our kid, keyed with {label}", alg.name()),
                json!({ "alg": alg.name(), "kid": v.rs_kid }),
                Some(&signer),
            )
            .await;
        }
    }
    v.unharmed().await;
}

/// DER: tag, length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER holding the unsigned big-endian `bytes`.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::new();
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    der(0x02, &content)
}

fn pem(label: &str, der: &[u8]) -> String {
    let b = STANDARD.encode(der);
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Our RSA public key as published in the JWKS, in every encoding an HMAC library might be fed
/// by a verifier that takes "the key" and lets the token's `alg` decide what to do with it.
/// Returns (what, bytes).
fn rsa_public_key_encodings(jwk: &Value) -> Vec<(String, Vec<u8>)> {
    let n = URL_SAFE_NO_PAD
        .decode(jwk["n"].as_str().expect("n"))
        .expect("n is base64url");
    let e = URL_SAFE_NO_PAD
        .decode(jwk["e"].as_str().expect("e"))
        .expect("e is base64url");
    let pkcs1 = der(0x30, &[der_uint(&n), der_uint(&e)].concat());
    // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
    let alg_id = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let mut bits = vec![0u8];
    bits.extend(&pkcs1);
    let spki = der(0x30, &[alg_id, der(0x03, &bits)].concat());
    let spki_pem = pem("PUBLIC KEY", &spki);
    let pkcs1_pem = pem("RSA PUBLIC KEY", &pkcs1);
    vec![
        ("PEM SubjectPublicKeyInfo".into(), spki_pem.clone().into()),
        (
            "PEM SubjectPublicKeyInfo without the last newline".into(),
            spki_pem.trim_end().into(),
        ),
        (
            "PEM SubjectPublicKeyInfo with CRLF line ends".into(),
            spki_pem.replace('\n', "\r\n").into(),
        ),
        ("PEM PKCS#1 RSAPublicKey".into(), pkcs1_pem.clone().into()),
        (
            "PEM PKCS#1 RSAPublicKey without the last newline".into(),
            pkcs1_pem.trim_end().into(),
        ),
        ("DER SubjectPublicKeyInfo".into(), spki),
        ("DER PKCS#1 RSAPublicKey".into(), pkcs1),
        ("the JWK as published".into(), jwk.to_string().into()),
        (
            "the JWK with n and e only".into(),
            json!({ "kty": "RSA", "n": jwk["n"], "e": jwk["e"] })
                .to_string()
                .into(),
        ),
        ("the modulus bytes".into(), n),
        (
            "the base64url modulus".into(),
            jwk["n"].as_str().unwrap().as_bytes().to_vec(),
        ),
    ]
}

#[tokio::test]
async fn an_hs256_token_keyed_with_our_rsa_public_key_is_refused() {
    let v = victim().await;
    // The attacker's view: our public key, from the JWKS over HTTP.
    let jwks: Value = v.app.get("/jwks").await.json().await.expect("JWKS");
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == v.rs_kid.as_str())
        .expect("our RS256 key is published")
        .clone();
    let encodings = rsa_public_key_encodings(&jwk);

    // The rebuilt PEMs really are our public key: they verify the genuine token.
    let (input, sig) = v.access.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    for (what, bytes) in encodings.iter().filter(|(w, _)| w.starts_with("PEM")) {
        let verifier = josekit::jws::RS256
            .verifier_from_pem(bytes)
            .unwrap_or_else(|e| panic!("{what} does not parse: {e}"));
        verifier
            .verify(input.as_bytes(), &sig)
            .unwrap_or_else(|e| panic!("{what} is not our key: {e}"));
    }

    // HS256 keyed with every encoding, with our kid and without one; HS384 and HS512 keyed with
    // the encodings libraries most often read keys from.
    for (what, secret) in &encodings {
        let signer = josekit::jws::HS256.signer_from_bytes(secret).expect("HMAC");
        v.refused_everywhere(
            &format!("HS256 keyed with {what}, our kid"),
            json!({ "alg": "HS256", "kid": v.rs_kid }),
            Some(&signer),
        )
        .await;
        v.refused_everywhere(
            &format!("HS256 keyed with {what}, no kid"),
            json!({ "alg": "HS256" }),
            Some(&signer),
        )
        .await;
    }
    let common = [
        "PEM SubjectPublicKeyInfo",
        "PEM PKCS#1 RSAPublicKey",
        "DER SubjectPublicKeyInfo",
    ];
    for alg in [josekit::jws::HS384, josekit::jws::HS512] {
        for (what, secret) in encodings
            .iter()
            .filter(|(w, _)| common.contains(&w.as_str()))
        {
            let signer = alg.signer_from_bytes(secret).expect("HMAC");
            v.refused_everywhere(
                &format!("{} keyed with {what}, our kid", alg.name()),
                json!({ "alg": alg.name(), "kid": v.rs_kid }),
                Some(&signer),
            )
            .await;
        }
    }
    v.unharmed().await;
}

/// A fresh RSA key of the attacker's: (signer, public JWK).
fn attacker_rsa_key() -> (Box<dyn JwsSigner>, Value) {
    let pair = josekit::jws::RS256
        .generate_key_pair(2048)
        .expect("generate an RSA key");
    let signer = josekit::jws::RS256
        .signer_from_pem(pair.to_pem_private_key())
        .expect("RSA signer");
    let jwk = Value::Object(pair.to_jwk_public_key().as_ref().clone());
    (Box::new(signer), jwk)
}

#[tokio::test]
async fn a_token_with_an_unknown_kid_is_refused() {
    let v = victim().await;
    let (attacker, _) = attacker_rsa_key();
    let key = our_key(&v.app, Alg::RS256);
    let ours = josekit::jws::RS256
        .signer_from_pem(&key.private_pem)
        .unwrap();
    for kid in [
        json!("attacker-key"),
        json!(format!("{}x", v.rs_kid)),
        json!(v.rs_kid.to_uppercase()),
        json!("../../../../../../dev/null"),
        json!("' OR '1'='1"),
        json!(""),
        json!(0),
        Value::Null,
    ] {
        v.refused_everywhere(
            &format!("an attacker's RSA key under kid {kid}"),
            json!({ "alg": "RS256", "kid": kid }),
            Some(attacker.as_ref()),
        )
        .await;
        if kid != json!(v.rs_kid) {
            // Even our own key's signature does not make an unknown kid acceptable.
            v.refused_everywhere(
                &format!("our own RSA key under the unknown kid {kid}"),
                json!({ "alg": "RS256", "kid": kid }),
                Some(&ours),
            )
            .await;
        }
    }
    v.refused_everywhere(
        "our own RSA key, no kid at all",
        json!({ "alg": "RS256" }),
        Some(&ours),
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn a_token_signed_by_another_rsa_key_under_our_kid_is_refused() {
    let v = victim().await;
    let (attacker, _) = attacker_rsa_key();
    v.refused_everywhere(
        "an attacker's RSA key under our kid",
        json!({ "alg": "RS256", "kid": v.rs_kid }),
        Some(attacker.as_ref()),
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn an_es256_or_eddsa_header_naming_our_rs256_key_is_refused() {
    let v = victim().await;
    // Signed with our own genuine ES256 and EdDSA keys: the signatures are valid for those keys,
    // but the kid names the RS256 key, whose algorithm is RS256 only.
    let es = our_key(&v.app, Alg::ES256);
    let ed = our_key(&v.app, Alg::EdDSA);
    let es_signer = josekit::jws::ES256
        .signer_from_pem(&es.private_pem)
        .unwrap();
    let ed_signer = josekit::jws::EdDSA
        .signer_from_pem(&ed.private_pem)
        .unwrap();
    v.refused_everywhere(
        "ES256 (our ES256 key) naming our RS256 kid",
        json!({ "alg": "ES256", "kid": v.rs_kid }),
        Some(&es_signer),
    )
    .await;
    v.refused_everywhere(
        "EdDSA (our Ed25519 key) naming our RS256 kid",
        json!({ "alg": "EdDSA", "kid": v.rs_kid }),
        Some(&ed_signer),
    )
    .await;
    // And the other way round: our RSA key's signature under the ES256 key's kid.
    let rs = our_key(&v.app, Alg::RS256);
    let rs_signer = josekit::jws::RS256
        .signer_from_pem(&rs.private_pem)
        .unwrap();
    v.refused_everywhere(
        "RS256 (our RSA key) naming our ES256 kid",
        json!({ "alg": "RS256", "kid": es.kid }),
        Some(&rs_signer),
    )
    .await;
    v.refused_everywhere(
        "ES256 header naming our ES256 kid but signed by our RSA key",
        json!({ "alg": "ES256", "kid": es.kid }),
        Some(&rs_signer),
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn a_token_signed_with_our_rsa_key_under_another_rsa_algorithm_is_refused() {
    let v = victim().await;
    let key = our_key(&v.app, Alg::RS256);
    let pem = key.private_pem.as_bytes();
    let rs384 = josekit::jws::RS384.signer_from_pem(pem).unwrap();
    let rs512 = josekit::jws::RS512.signer_from_pem(pem).unwrap();
    let mut jwk = josekit::jws::RS256
        .key_pair_from_pem(pem)
        .unwrap()
        .to_jwk_private_key();
    jwk.set_algorithm("PS256");
    let ps256 = josekit::jws::PS256
        .signer_from_jwk(&jwk)
        .expect("PS256 signer from our RSA key");
    let signers: [(&str, &dyn JwsSigner); 3] =
        [("RS384", &rs384), ("RS512", &rs512), ("PS256", &ps256)];
    for (alg, signer) in signers {
        v.refused_everywhere(
            &format!("{alg} signed with our own RSA key under its kid"),
            json!({ "alg": alg, "kid": v.rs_kid }),
            Some(signer),
        )
        .await;
    }
    v.unharmed().await;
}

#[tokio::test]
async fn a_key_the_token_brings_along_in_jwk_jku_or_x5u_is_ignored() {
    let v = victim().await;
    let (attacker, attacker_jwk) = attacker_rsa_key();
    for header in [
        json!({ "alg": "RS256", "kid": v.rs_kid, "jwk": attacker_jwk }),
        json!({ "alg": "RS256", "jwk": attacker_jwk }),
        json!({ "alg": "RS256", "kid": v.rs_kid, "jku": "https://evil.example/jwks" }),
        json!({ "alg": "RS256", "kid": "evil", "jku": "https://evil.example/jwks" }),
        json!({ "alg": "RS256", "kid": v.rs_kid, "x5u": "https://evil.example/cert.pem" }),
    ] {
        v.refused_everywhere(
            &format!("an attacker's key announced in the header {header}"),
            header,
            Some(attacker.as_ref()),
        )
        .await;
    }
    v.unharmed().await;
}

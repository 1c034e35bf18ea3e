//! A software passkey (a resident ES256 credential with user verification, attestation
//! `none`), to run real WebAuthn ceremonies against latchkey without a browser: it answers the
//! options of `navigator.credentials.create` and `.get` with the JSON `static/passkeys.js`
//! sends. CBOR is written by hand: only the few shapes a passkey needs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub struct SoftPasskey {
    key: PKey<Private>,
    x: Vec<u8>,
    y: Vec<u8>,
    pub credential_id: Vec<u8>,
    /// The WebAuthn user handle given at registration (returned at sign-in).
    user_handle: Vec<u8>,
    counter: u32,
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// A CBOR byte string header and bytes.
fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = match b.len() {
        n if n < 24 => vec![0x40 | n as u8],
        n if n < 256 => vec![0x58, n as u8],
        n => vec![0x59, (n >> 8) as u8, n as u8],
    };
    out.extend_from_slice(b);
    out
}

fn cbor_text(s: &str) -> Vec<u8> {
    let mut out = vec![0x60 | s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

impl Default for SoftPasskey {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftPasskey {
    pub fn new() -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let ec = EcKey::generate(&group).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .unwrap();
        let mut id = [0u8; 16];
        openssl::rand::rand_bytes(&mut id).unwrap();
        Self {
            x: x.to_vec_padded(32).unwrap(),
            y: y.to_vec_padded(32).unwrap(),
            key: PKey::from_ec_key(ec).unwrap(),
            credential_id: id.to_vec(),
            user_handle: Vec::new(),
            counter: 0,
        }
    }

    fn auth_data(&self, rp_id: &str, flags: u8, attested: bool) -> Vec<u8> {
        let mut d = Sha256::digest(rp_id.as_bytes()).to_vec();
        d.push(flags);
        d.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            d.extend_from_slice(&[0u8; 16]); // AAGUID
            d.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
            d.extend_from_slice(&self.credential_id);
            // COSE_Key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
            d.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]);
            d.extend(cbor_bytes(&self.x));
            d.push(0x22);
            d.extend(cbor_bytes(&self.y));
        }
        d
    }

    /// Answer `navigator.credentials.create({publicKey})` for `options` (the server's JSON,
    /// `{publicKey: {...}}`) from `origin`.
    pub fn register(&mut self, options: &Value, origin: &str) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rp"]["id"].as_str().expect("rp.id");
        self.user_handle = B64
            .decode(pk["user"]["id"].as_str().expect("user.id"))
            .expect("user.id is base64url");
        let client_data = json!({
            "type": "webauthn.create",
            "challenge": pk["challenge"],
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string();
        // UP | UV | AT
        let auth = self.auth_data(rp_id, 0x45, true);
        let mut att = vec![0xa3];
        att.extend(cbor_text("fmt"));
        att.extend(cbor_text("none"));
        att.extend(cbor_text("attStmt"));
        att.push(0xa0);
        att.extend(cbor_text("authData"));
        att.extend(cbor_bytes(&auth));
        let id = b64(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "attestationObject": b64(&att),
                "clientDataJSON": b64(client_data.as_bytes()),
                "transports": ["internal"],
            },
            "extensions": {},
        })
    }

    /// Answer `navigator.credentials.get({publicKey})` for `options` from `origin`.
    pub fn sign_in(&mut self, options: &Value, origin: &str) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rpId"].as_str().expect("rpId");
        self.counter += 1;
        let client_data = json!({
            "type": "webauthn.get",
            "challenge": pk["challenge"],
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string();
        // UP | UV
        let auth = self.auth_data(rp_id, 0x05, false);
        let mut signed = auth.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key).unwrap();
        signer.update(&signed).unwrap();
        let signature = signer.sign_to_vec().unwrap();
        let id = b64(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth),
                "clientDataJSON": b64(client_data.as_bytes()),
                "signature": b64(&signature),
                "userHandle": b64(&self.user_handle),
            },
            "extensions": {},
        })
    }
}

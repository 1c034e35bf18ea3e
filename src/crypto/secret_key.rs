//! The server's secret key (`secret_key_file`): 32 random bytes in a file of their own, apart
//! from the database, so a copy of the database alone reveals no TOTP seed.
//!
//! Two keys are derived from it (HMAC-SHA256 over a label), never used as is: one seals data
//! (XChaCha20-Poly1305, [`SecretKey::seal`]), one keys the hashes of recovery codes
//! ([`SecretKey::mac`]).
//!
//! The file is created at first start (by `serve` or any CLI command) with mode 0600: written
//! to a temporary file first, then linked into place, so two processes starting at once agree
//! on one key and no one ever reads half a key. A file other users can read, or of another
//! length, is refused with a one-line error.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use std::io::Write;
use std::path::Path;

/// The length of the key file, in bytes.
pub const KEY_LEN: usize = 32;
/// The first byte of every sealed value: the format (XChaCha20-Poly1305, 24-byte nonce).
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// Why the key file cannot be used. The messages are one line and name the setting.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    #[error(
        "secret_key_file {path} can be read by other users (mode {mode:04o}): run `chmod 600 {path}`"
    )]
    Loose { path: String, mode: u32 },
    #[error(
        "secret_key_file {path} holds {len} bytes, not {KEY_LEN}: restore it from a backup (a new key makes every authenticator app unusable)"
    )]
    WrongLength { path: String, len: u64 },
    #[error("cannot read secret_key_file {path}: {err}")]
    Read { path: String, err: std::io::Error },
    #[error("cannot create secret_key_file {path}: {err}")]
    Create { path: String, err: std::io::Error },
}

/// Sealed data that does not open: another key, other associated data, or tampered with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("sealed data does not open with this key")]
pub struct SealError;

/// The derived keys (the raw key is never kept).
#[derive(Clone)]
pub struct SecretKey {
    seal: [u8; 32],
    mac: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

fn derive(raw: &[u8], label: &str) -> [u8; 32] {
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(raw) else {
        unreachable!("HMAC takes keys of any length")
    };
    m.update(label.as_bytes());
    m.finalize().into_bytes().into()
}

/// The associated data of a sealed value: what it is and whose (a seed of user 7 does not open
/// as a seed of user 8).
fn associated(purpose: &str, owner: &str) -> Vec<u8> {
    format!("latchkey:{purpose}:{owner}").into_bytes()
}

impl SecretKey {
    /// A key from 32 raw bytes (tests; the server reads them from the key file).
    pub fn from_bytes(raw: &[u8; KEY_LEN]) -> Self {
        Self {
            seal: derive(raw, "latchkey seal v1"),
            mac: derive(raw, "latchkey mac v1"),
        }
    }

    /// A fresh random key (tests).
    pub fn random() -> Self {
        let mut raw = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut raw);
        Self::from_bytes(&raw)
    }

    /// Encrypt and authenticate `plaintext` as `purpose` of `owner` (the associated data).
    pub fn seal(&self, purpose: &str, owner: &str, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.seal).into());
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = associated(purpose, owner);
        let payload = Payload {
            msg: plaintext,
            aad: &aad,
        };
        // Encryption fails only for messages beyond 256 GiB.
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// The plaintext of [`SecretKey::seal`]'s output, when key, purpose and owner all match.
    pub fn open(&self, purpose: &str, owner: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let [SEALED_V1, rest @ ..] = sealed else {
            return Err(SealError);
        };
        if rest.len() < NONCE_LEN {
            return Err(SealError);
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new((&self.seal).into());
        let aad = associated(purpose, owner);
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| SealError)
    }

    /// [`SecretKey::seal`] as base64url text (for a hidden form field).
    pub fn seal_text(&self, purpose: &str, owner: &str, plaintext: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.seal(purpose, owner, plaintext))
    }

    /// [`SecretKey::open`] of [`SecretKey::seal_text`]'s output.
    pub fn open_text(&self, purpose: &str, owner: &str, text: &str) -> Result<Vec<u8>, SealError> {
        let sealed = URL_SAFE_NO_PAD.decode(text).map_err(|_| SealError)?;
        self.open(purpose, owner, &sealed)
    }

    /// A keyed hash (HMAC-SHA256, base64url) of `data` as `purpose` of `owner`: without the key
    /// file, the hash of a short secret (a recovery code) cannot be searched for.
    pub fn mac(&self, purpose: &str, owner: &str, data: &[u8]) -> String {
        let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac) else {
            unreachable!("HMAC takes keys of any length")
        };
        m.update(&associated(purpose, owner));
        m.update(&[0]);
        m.update(data);
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    }
}

/// What is wrong with the key file, if anything (doctor reports it without touching it).
#[derive(Debug)]
pub enum FileState {
    Missing,
    Usable,
    Refused(SecretKeyError),
}

/// Look at the key file without creating or changing anything.
pub fn inspect(path: &Path) -> FileState {
    match read(path) {
        Ok(_) => FileState::Usable,
        Err(SecretKeyError::Read { err, .. }) if err.kind() == std::io::ErrorKind::NotFound => {
            FileState::Missing
        }
        Err(e) => FileState::Refused(e),
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> Result<[u8; KEY_LEN], SecretKeyError> {
    let read_err = |err| SecretKeyError::Read {
        path: shown(path),
        err,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SecretKeyError::Loose {
                path: shown(path),
                mode,
            });
        }
    }
    if meta.len() != KEY_LEN as u64 {
        return Err(SecretKeyError::WrongLength {
            path: shown(path),
            len: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| SecretKeyError::WrongLength {
            path: shown(path),
            len: bytes.len() as u64,
        })
}

/// The key in `path`, created (32 random bytes, mode 0600) when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<SecretKey, SecretKeyError> {
    match read(path) {
        Ok(raw) => return Ok(SecretKey::from_bytes(&raw)),
        Err(SecretKeyError::Read { err, .. }) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create(path)?;
    read(path).map(|raw| SecretKey::from_bytes(&raw))
}

/// Write a new key beside `path` and link it into place; when another process linked its key
/// first, theirs stays (and is the one read).
fn create(path: &Path) -> Result<(), SecretKeyError> {
    let fail = |err| SecretKeyError::Create {
        path: shown(path),
        err,
    };
    let mut raw = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut raw);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secret.key".into());
    let tmp = path.with_file_name(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        OsRng.next_u64()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(&raw)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
            }
            tracing::info!(path = %path.display(), "created secret_key_file; back it up apart from the database");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_the_same_key_purpose_and_owner() {
        let k = SecretKey::random();
        let sealed = k.seal("totp-seed", "7", b"seed bytes");
        assert_eq!(k.open("totp-seed", "7", &sealed).unwrap(), b"seed bytes");
        assert!(!sealed.windows(10).any(|w| w == b"seed bytes"));
        assert_eq!(k.open("totp-seed", "8", &sealed), Err(SealError));
        assert_eq!(k.open("totp-enrol", "7", &sealed), Err(SealError));
        assert_eq!(
            SecretKey::random().open("totp-seed", "7", &sealed),
            Err(SealError)
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(k.open("totp-seed", "7", &tampered), Err(SealError));
        assert_ne!(
            sealed,
            k.seal("totp-seed", "7", b"seed bytes"),
            "fresh nonce"
        );
        let text = k.seal_text("p", "o", b"x");
        assert_eq!(k.open_text("p", "o", &text).unwrap(), b"x");
        assert_eq!(k.open_text("p", "o", "not base64!"), Err(SealError));
    }

    #[test]
    fn macs_depend_on_the_key_and_the_owner() {
        let k = SecretKey::from_bytes(&[7; KEY_LEN]);
        let same = SecretKey::from_bytes(&[7; KEY_LEN]);
        assert_eq!(k.mac("rc", "1", b"abc"), same.mac("rc", "1", b"abc"));
        assert_ne!(k.mac("rc", "1", b"abc"), k.mac("rc", "2", b"abc"));
        assert_ne!(
            k.mac("rc", "1", b"abc"),
            SecretKey::random().mac("rc", "1", b"abc")
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_created_0600_once_and_refused_when_loose_or_the_wrong_length() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile_dir();
        let path = dir.join("secret.key");
        assert!(matches!(inspect(&path), FileState::Missing));
        let a = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).unwrap().len(), KEY_LEN);
        let b = load_or_create(&path).unwrap();
        assert_eq!(
            a.mac("x", "y", b"z"),
            b.mac("x", "y", b"z"),
            "the same key again"
        );
        assert!(matches!(inspect(&path), FileState::Usable));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("secret_key_file") && e.contains("chmod 600") && !e.contains('\n'));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, [1u8; 31]).unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("31 bytes") && !e.contains('\n'), "{e}");
        assert!(
            std::fs::read_dir(&dir).unwrap().count() == 1,
            "no temporary files left"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "latchkey-key-{}-{}",
            std::process::id(),
            OsRng.next_u64()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

//! Secrets at rest: a value Frontline must be able to read back (a webhook's signing secret) is
//! stored sealed with XChaCha20-Poly1305 under a key that is never in the database. Every seal
//! draws a fresh random 192-bit nonce, binds the caller's associated data (the row the value
//! belongs to, so a sealed value copied to another row does not open), and names the key it was
//! sealed with, so keys can be rotated:
//!
//! `sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`
//!
//! A key's id is the first 8 hex digits of a hash of the key: it tells keys apart in the stored
//! value and in error messages, and says nothing about the key. This module only seals and
//! opens; where keys come from is [`SealingKeys::load`], which rows hold sealed values is the
//! owning service's business.
use std::fmt;

use anyhow::Context;
use base64::Engine;
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use sha2::{Digest, Sha256};

use crate::config::Settings;

/// What every sealed value starts with; anything else is a value stored before sealing existed.
pub const SEALED_PREFIX: &str = "sealed:v1:";
/// Where a local install keeps its sealing key when `secrets.key` is not set.
pub const KEY_FILE: &str = "secrets-key";

const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// One 256-bit key. Its Debug shows the id only.
pub struct SealingKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl SealingKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let digest = Sha256::new().chain_update(b"frontline sealing key id\0").chain_update(bytes).finalize();
        let id = digest[..4].iter().map(|byte| format!("{byte:02x}")).collect();
        Self { id, cipher: XChaCha20Poly1305::new(bytes.into()) }
    }

    /// Reads a key written as 64 hex digits or as base64 (standard or URL-safe, padded or not)
    /// of 32 bytes, e.g. `openssl rand -base64 32`. The error never repeats the text.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16)).collect::<Result<Vec<_>, _>>().ok()
        } else {
            let unpadded = text.trim_end_matches('=');
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(unpadded).or_else(|_| BASE64.decode(unpadded)).ok()
        };
        let bytes: [u8; 32] = bytes.and_then(|bytes| bytes.try_into().ok()).ok_or(KeyError)?;
        Ok(Self::from_bytes(&bytes))
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A key that is not 32 bytes in hex or base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 32 random bytes as 64 hex digits or base64 (e.g. the output of `openssl rand -base64 32`)")]
pub struct KeyError;

/// Why a stored value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the value is not sealed")]
    NotSealed,
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("sealed with key {key_id}, which this server does not have (it has {known})")]
    UnknownKey { key_id: String, known: String },
    /// A wrong key with a colliding id, a value moved from another row, or altered bytes.
    #[error("the value sealed with key {key_id} does not open: altered, or moved from another record")]
    Forged { key_id: String },
}

/// The key new values are sealed with, and the keys that still open older ones.
#[derive(Debug)]
pub struct SealingKeys {
    current: SealingKey,
    previous: Vec<SealingKey>,
}

impl SealingKeys {
    pub fn new(current: SealingKey, previous: Vec<SealingKey>) -> Self {
        Self { current, previous }
    }

    /// `secrets.key` (and `secrets.previous_keys`) when set; else the key in
    /// `data_dir/secrets-key`, minted with mode 0600 on first start. One process, or replicas
    /// sharing a data directory, need nothing more; separate replicas need `secrets.key`.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        let current = if settings.secrets.key.is_empty() {
            let path = settings.data_dir.join(KEY_FILE);
            let minted = crate::auth::load_or_create_secret(&settings.data_dir, KEY_FILE)?;
            let text = String::from_utf8(minted).unwrap_or_default();
            SealingKey::parse(&text).with_context(|| format!("the sealing key in {}", path.display()))?
        } else {
            SealingKey::parse(&settings.secrets.key).context("secrets.key")?
        };
        let previous = settings
            .secrets
            .previous_keys
            .iter()
            .enumerate()
            .map(|(index, key)| SealingKey::parse(key).with_context(|| format!("secrets.previous_keys[{index}]")))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self::new(current, previous))
    }

    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Seals `plaintext` with the current key, bound to `associated` (say, the row's id).
    pub fn seal(&self, plaintext: &str, associated: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|error| anyhow::anyhow!("no randomness for a nonce: {error}"))?;
        let ciphertext = self
            .current
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext.as_bytes(), aad: associated.as_bytes() })
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{SEALED_PREFIX}{}:{}", self.current.id, BASE64.encode(sealed)))
    }

    /// Opens what [`SealingKeys::seal`] made with any of these keys, for the same `associated`.
    pub fn open(&self, sealed: &str, associated: &str) -> Result<String, OpenError> {
        let rest = sealed.strip_prefix(SEALED_PREFIX).ok_or(OpenError::NotSealed)?;
        let (key_id, encoded) = rest.split_once(':').ok_or(OpenError::Malformed)?;
        let key = self
            .key(key_id)
            .ok_or_else(|| OpenError::UnknownKey { key_id: key_id.to_string(), known: self.ids().join(", ") })?;
        let bytes = BASE64.decode(encoded).map_err(|_| OpenError::Malformed)?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
        let forged = || OpenError::Forged { key_id: key_id.to_string() };
        let plaintext = key
            .cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: associated.as_bytes() })
            .map_err(|_| forged())?;
        String::from_utf8(plaintext).map_err(|_| forged())
    }

    /// What a stored value should become: `None` when it is sealed with the current key and
    /// opens; a new sealed value when it was stored in plain text (before sealing existed) or
    /// sealed with a previous key. A value that opens with no key here is an error: it is
    /// never overwritten.
    pub fn reseal(&self, stored: &str, associated: &str) -> anyhow::Result<Option<String>> {
        let plaintext = match self.open(stored, associated) {
            Ok(_) if Self::key_id(stored) == Some(self.current.id()) => return Ok(None),
            Ok(plaintext) => plaintext,
            Err(OpenError::NotSealed) => stored.to_string(),
            Err(error) => return Err(error.into()),
        };
        self.seal(&plaintext, associated).map(Some)
    }

    /// Whether `stored` is a sealed value (of any key), as opposed to plain text.
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED_PREFIX)
    }

    fn key_id(sealed: &str) -> Option<&str> {
        sealed.strip_prefix(SEALED_PREFIX)?.split_once(':').map(|(id, _)| id)
    }

    fn key(&self, id: &str) -> Option<&SealingKey> {
        std::iter::once(&self.current).chain(&self.previous).find(|key| key.id == id)
    }

    fn ids(&self) -> Vec<&str> {
        std::iter::once(&self.current).chain(&self.previous).map(|key| key.id.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SealingKey {
        SealingKey::from_bytes(&[byte; 32])
    }

    fn keys(current: u8, previous: &[u8]) -> SealingKeys {
        SealingKeys::new(key(current), previous.iter().map(|&byte| key(byte)).collect())
    }

    const SECRET: &str = "whsec_0123456789abcdef0123456789abcdef";

    #[test]
    fn a_sealed_value_opens_with_its_key_and_associated_data() {
        let keys = keys(1, &[]);
        let sealed = keys.seal(SECRET, "webhook:a").unwrap();
        assert!(sealed.starts_with(&format!("sealed:v1:{}:", keys.current_id())), "{sealed}");
        assert!(!sealed.contains(SECRET) && !sealed.contains("0123456789abcdef"));
        assert_eq!(keys.open(&sealed, "webhook:a").unwrap(), SECRET);
        // A fresh nonce every time: the same secret never seals to the same text.
        assert_ne!(keys.seal(SECRET, "webhook:a").unwrap(), sealed);
    }

    #[test]
    fn a_wrong_key_does_not_open_it() {
        let sealed = keys(1, &[]).seal(SECRET, "webhook:a").unwrap();
        // Another key has another id: the error says which key is missing.
        let other = keys(2, &[3]);
        let error = other.open(&sealed, "webhook:a").unwrap_err();
        assert_eq!(
            error,
            OpenError::UnknownKey { key_id: key(1).id().into(), known: format!("{}, {}", key(2).id(), key(3).id()) }
        );
        // A wrong key that claims the right id is caught by the tag.
        let impostor = SealingKeys::new(SealingKey { id: key(1).id().into(), cipher: key(2).cipher.clone() }, vec![]);
        assert!(matches!(impostor.open(&sealed, "webhook:a"), Err(OpenError::Forged { .. })));
    }

    #[test]
    fn a_value_moved_to_another_record_does_not_open() {
        let keys = keys(1, &[]);
        let sealed = keys.seal(SECRET, "webhook:a").unwrap();
        assert_eq!(keys.open(&sealed, "webhook:b"), Err(OpenError::Forged { key_id: key(1).id().into() }));
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let keys = keys(1, &[]);
        let sealed = keys.seal(SECRET, "webhook:a").unwrap();
        let (head, encoded) = sealed.rsplit_once(':').unwrap();
        let mut bytes = BASE64.decode(encoded).unwrap();
        for index in [0, NONCE_BYTES, bytes.len() - 1] {
            bytes[index] ^= 1;
            let tampered = format!("{head}:{}", BASE64.encode(&bytes));
            assert!(matches!(keys.open(&tampered, "webhook:a"), Err(OpenError::Forged { .. })), "byte {index}");
            bytes[index] ^= 1;
        }
        let truncated = format!("{head}:{}", BASE64.encode(&bytes[..NONCE_BYTES + TAG_BYTES - 1]));
        assert_eq!(keys.open(&truncated, "webhook:a"), Err(OpenError::Malformed));
        assert_eq!(keys.open(&format!("{head}:not base64!"), "webhook:a"), Err(OpenError::Malformed));
        assert_eq!(keys.open("sealed:v1:nocolon", "webhook:a"), Err(OpenError::Malformed));
        assert_eq!(keys.open(SECRET, "webhook:a"), Err(OpenError::NotSealed));
    }

    #[test]
    fn an_unknown_key_id_is_named() {
        let keys = keys(1, &[]);
        let error = keys.open("sealed:v1:deadbeef:AAAA", "webhook:a").unwrap_err();
        assert!(matches!(&error, OpenError::UnknownKey { key_id, .. } if key_id == "deadbeef"));
        assert!(error.to_string().contains(key(1).id()), "{error}");
    }

    #[test]
    fn rotation_opens_with_a_previous_key_and_reseals_with_the_current_one() {
        let old = keys(1, &[]);
        let sealed_with_old = old.seal(SECRET, "webhook:a").unwrap();
        let rotated = keys(2, &[1]);
        assert_eq!(rotated.open(&sealed_with_old, "webhook:a").unwrap(), SECRET);
        let resealed = rotated.reseal(&sealed_with_old, "webhook:a").unwrap().expect("moved to the new key");
        assert!(resealed.starts_with(&format!("sealed:v1:{}:", key(2).id())));
        assert_eq!(keys(2, &[]).open(&resealed, "webhook:a").unwrap(), SECRET);
        assert_eq!(rotated.reseal(&resealed, "webhook:a").unwrap(), None, "already on the current key");
        // Plain text from before sealing existed is sealed; an unopenable value is never replaced.
        let from_plain = rotated.reseal(SECRET, "webhook:a").unwrap().unwrap();
        assert_eq!(rotated.open(&from_plain, "webhook:a").unwrap(), SECRET);
        assert!(keys(3, &[]).reseal(&sealed_with_old, "webhook:a").is_err());
        assert!(rotated.reseal(&sealed_with_old, "webhook:b").is_err());
    }

    #[test]
    fn keys_are_read_from_hex_or_base64_of_32_bytes() {
        let bytes = [7u8; 32];
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let standard = base64::engine::general_purpose::STANDARD.encode(bytes);
        let url_safe = BASE64.encode([0xfbu8; 32]);
        assert_eq!(SealingKey::parse(&hex).unwrap().id(), SealingKey::from_bytes(&bytes).id());
        assert_eq!(SealingKey::parse(&format!(" {standard}\n")).unwrap().id(), SealingKey::from_bytes(&bytes).id());
        assert_eq!(SealingKey::parse(&url_safe).unwrap().id(), SealingKey::from_bytes(&[0xfb; 32]).id());
        for bad in ["", "short", &hex[..62], &base64::engine::general_purpose::STANDARD.encode([1u8; 16])] {
            assert_eq!(SealingKey::parse(bad).unwrap_err(), KeyError, "{bad:?}");
        }
    }

    #[test]
    fn debug_shows_key_ids_never_keys() {
        let keys = keys(0xab, &[0xcd]);
        let shown = format!("{keys:?}");
        assert!(shown.contains(key(0xab).id()) && shown.contains(key(0xcd).id()), "{shown}");
        assert!(!shown.to_lowercase().contains("abababab"), "{shown}");
    }

    #[test]
    fn a_local_install_mints_its_key_once_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let settings = |dir: &std::path::Path| {
            Settings::load_from(None, [("FRONTLINE__DATA_DIR".to_string(), dir.display().to_string())]).unwrap()
        };
        let first = SealingKeys::load(&settings(dir.path())).unwrap();
        let second = SealingKeys::load(&settings(dir.path())).unwrap();
        assert_eq!(first.current_id(), second.current_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let sealed = first.seal(SECRET, "webhook:a").unwrap();
        assert_eq!(second.open(&sealed, "webhook:a").unwrap(), SECRET);
    }
}

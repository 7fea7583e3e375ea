//! The keys tokens verify with, and which one a token's header selects. Every key carries the one
//! algorithm it verifies: a token whose header names another algorithm than its key's is refused
//! before any signature is checked, so a public key never doubles as an HMAC secret and an RSA
//! key never verifies an ECDSA token (RFC 8725 §2.1, §3.1). Keys come from configuration only — a
//! token's `jku`, `jwk`, `x5u` or `x5c` header is never looked at, let alone fetched.
use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};

/// One key and the algorithm it verifies.
pub struct VerifyingKey {
    /// The JWKS `kid`; None for a key given as a PEM file or a secret (it then verifies tokens
    /// whatever `kid` they name, since there is no other key to choose).
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub(super) key: DecodingKey,
}

/// The keys one configuration trusts for people's tokens.
#[derive(Default)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.keys.iter().map(|key| (key.kid.as_deref(), key.algorithm))).finish()
    }
}

/// Why no key of the set verifies a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRefusal {
    /// The token names a `kid` the set does not have (perhaps not fetched yet: a rotation).
    UnknownKid,
    /// The set holds several keys and the token names none.
    KidRequired,
    /// The selected key verifies another algorithm than the token's header names.
    WrongAlgorithm { key: Algorithm, token: Algorithm },
    /// No keys (an identity provider's keys not fetched yet).
    Empty,
}

impl KeyRefusal {
    pub fn message(&self) -> String {
        match self {
            KeyRefusal::UnknownKid => {
                "the bearer token names a key (kid) the identity provider does not publish".into()
            }
            KeyRefusal::KidRequired => {
                "the bearer token names no key (kid), and the identity provider publishes several".into()
            }
            KeyRefusal::WrongAlgorithm { key, token } => {
                format!("the bearer token says {token:?}, but the key it names verifies {key:?} only")
            }
            KeyRefusal::Empty => "no identity provider keys are loaded yet; try again shortly".into(),
        }
    }
}

/// What RFC 7518 §3.3 asks of an RSA key: at least 2048 bits.
const MIN_RSA_MODULUS_BYTES: usize = 256;

impl KeySet {
    /// One key for one algorithm, whatever `kid` a token names.
    pub fn single(key: DecodingKey, algorithm: Algorithm) -> Self {
        Self { keys: vec![VerifyingKey { kid: None, algorithm, key }] }
    }

    /// A PEM public key for `algorithm` (RS256: an RSA key; ES256: a P-256 key).
    pub fn from_pem(pem: &[u8], algorithm: Algorithm) -> Result<Self, String> {
        let key = match algorithm {
            Algorithm::RS256 => {
                DecodingKey::from_rsa_pem(pem).map_err(|_| "is not an RSA public key in PEM".to_string())?
            }
            Algorithm::ES256 => {
                let key = DecodingKey::from_ec_pem(pem).map_err(|_| "is not an EC public key in PEM".to_string())?;
                let curve = match Jwk::from_decoding_key(&key, Some(Algorithm::ES256)).map(|jwk| jwk.algorithm) {
                    Ok(AlgorithmParameters::EllipticCurve(parameters)) => Some(parameters.curve),
                    _ => None,
                };
                if curve != Some(EllipticCurve::P256) {
                    return Err("is an EC key on another curve than P-256, which ES256 needs".into());
                }
                key
            }
            other => return Err(format!("{other:?} public keys are not supported (RS256 and ES256 are)")),
        };
        Ok(Self::single(key, algorithm))
    }

    /// The signing keys of a JWKS document (RFC 7517): RSA keys for RS256 and P-256 keys for
    /// ES256. Keys for other uses or algorithms, symmetric keys and broken keys are left out and
    /// described in the second value; a document with no usable key is an error.
    pub fn from_jwks(document: &[u8]) -> Result<(Self, Vec<String>), String> {
        #[derive(serde::Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let document: Document = serde_json::from_slice(document)
            .map_err(|error| format!("is not a JWKS document (a JSON object with a `keys` array): {error}"))?;
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for (index, value) in document.keys.into_iter().enumerate() {
            let kid = value.get("kid").and_then(|kid| kid.as_str()).map(str::to_owned);
            let name = kid.as_deref().map_or_else(|| format!("key #{index}"), |kid| format!("key {kid:?}"));
            match verifying_key(value) {
                Ok(key) if keys.iter().any(|known: &VerifyingKey| known.kid.is_some() && known.kid == key.kid) => {
                    skipped.push(format!("{name}: its kid is taken by an earlier key"));
                }
                Ok(key) => keys.push(key),
                Err(why) => skipped.push(format!("{name}: {why}")),
            }
        }
        if keys.is_empty() {
            let why = if skipped.is_empty() { "it lists no keys".to_string() } else { skipped.join("; ") };
            return Err(format!("has no RS256 or ES256 signing key ({why})"));
        }
        if keys.len() > 1 && keys.iter().any(|key| key.kid.is_none()) {
            skipped.extend(
                keys.iter()
                    .filter(|key| key.kid.is_none())
                    .map(|_| "a key without kid among several: tokens cannot name it".to_string()),
            );
            keys.retain(|key| key.kid.is_some());
        }
        Ok((Self { keys }, skipped))
    }

    /// The key that verifies a token whose header names `kid` and `algorithm`.
    pub fn select(&self, kid: Option<&str>, algorithm: Algorithm) -> Result<&VerifyingKey, KeyRefusal> {
        let key = match (kid, self.keys.as_slice()) {
            (_, []) => return Err(KeyRefusal::Empty),
            // A PEM key or a secret: the only key there is, whatever the token calls it.
            (_, [only]) if only.kid.is_none() => only,
            (Some(kid), keys) => {
                keys.iter().find(|key| key.kid.as_deref() == Some(kid)).ok_or(KeyRefusal::UnknownKid)?
            }
            (None, [only]) => only,
            (None, _) => return Err(KeyRefusal::KidRequired),
        };
        if key.algorithm != algorithm {
            return Err(KeyRefusal::WrongAlgorithm { key: key.algorithm, token: algorithm });
        }
        Ok(key)
    }

    /// The `kid`s of the set, for logs.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|key| key.kid.as_deref().unwrap_or("(no kid)")).collect()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn verifying_key(value: serde_json::Value) -> Result<VerifyingKey, String> {
    let jwk: Jwk = serde_json::from_value(value).map_err(|error| format!("not a JWK ({error})"))?;
    if jwk.common.public_key_use.as_ref().is_some_and(|usage| *usage != PublicKeyUse::Signature) {
        return Err("not a signing key (use)".into());
    }
    let declared = jwk.common.key_algorithm;
    let (algorithm, key) = match &jwk.algorithm {
        AlgorithmParameters::RSA(parameters) => {
            if !matches!(declared, None | Some(KeyAlgorithm::RS256)) {
                return Err(format!("an RSA key for {declared:?}; only RS256 is accepted"));
            }
            let modulus = base64_len(&parameters.n).ok_or("its modulus (n) is not base64url")?;
            if modulus < MIN_RSA_MODULUS_BYTES {
                return Err("an RSA key shorter than 2048 bits".into());
            }
            let key = DecodingKey::from_rsa_components(&parameters.n, &parameters.e)
                .map_err(|error| format!("a broken RSA key ({error})"))?;
            (Algorithm::RS256, key)
        }
        AlgorithmParameters::EllipticCurve(parameters) => {
            if parameters.curve != EllipticCurve::P256 {
                return Err(format!("an EC key on {:?}; only P-256 (ES256) is accepted", parameters.curve));
            }
            if !matches!(declared, None | Some(KeyAlgorithm::ES256)) {
                return Err(format!("a P-256 key for {declared:?}; only ES256 is accepted"));
            }
            if base64_len(&parameters.x) != Some(32) || base64_len(&parameters.y) != Some(32) {
                return Err("a broken P-256 key (x and y must be 32 bytes each)".into());
            }
            let key = DecodingKey::from_ec_components(&parameters.x, &parameters.y)
                .map_err(|error| format!("a broken EC key ({error})"))?;
            (Algorithm::ES256, key)
        }
        AlgorithmParameters::OctetKey(_) => return Err("a symmetric key, never trusted from a JWKS".into()),
        _ => return Err("a key type Frontline does not verify with (RSA and EC P-256 are)".into()),
    };
    Ok(VerifyingKey { kid: jwk.common.key_id, algorithm, key })
}

fn base64_len(encoded: &str) -> Option<usize> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok().map(|bytes| bytes.len())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jsonwebtoken::EncodingKey;

    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        std::fs::read(path).unwrap()
    }

    /// The public JWK of a fixture's private key, named `kid`.
    pub(crate) fn jwk(private_fixture: &str, algorithm: Algorithm, kid: &str) -> serde_json::Value {
        let pem = fixture(private_fixture);
        let key = match algorithm {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
            _ => EncodingKey::from_ec_pem(&pem).unwrap(),
        };
        let mut jwk = Jwk::from_encoding_key(&key, algorithm).unwrap();
        jwk.common.key_id = Some(kid.into());
        serde_json::to_value(jwk).unwrap()
    }

    fn jwks(keys: &[serde_json::Value]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap()
    }

    #[test]
    fn a_token_selects_its_key_by_kid_and_only_for_that_keys_algorithm() {
        let document = jwks(&[
            jwk("rs256-private.pem", Algorithm::RS256, "rsa-1"),
            jwk("es256-private.pem", Algorithm::ES256, "ec-1"),
        ]);
        let (keys, skipped) = KeySet::from_jwks(&document).unwrap();
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(keys.select(Some("rsa-1"), Algorithm::RS256).unwrap().kid.as_deref(), Some("rsa-1"));
        assert_eq!(keys.select(Some("ec-1"), Algorithm::ES256).unwrap().algorithm, Algorithm::ES256);
        assert_eq!(
            keys.select(Some("rsa-1"), Algorithm::ES256).err(),
            Some(KeyRefusal::WrongAlgorithm { key: Algorithm::RS256, token: Algorithm::ES256 })
        );
        assert_eq!(
            keys.select(Some("rsa-1"), Algorithm::HS256).err(),
            Some(KeyRefusal::WrongAlgorithm { key: Algorithm::RS256, token: Algorithm::HS256 }),
            "the public key is never an HMAC secret"
        );
        assert_eq!(keys.select(Some("rsa-2"), Algorithm::RS256).err(), Some(KeyRefusal::UnknownKid));
        assert_eq!(keys.select(None, Algorithm::RS256).err(), Some(KeyRefusal::KidRequired));
    }

    #[test]
    fn a_single_pem_key_verifies_whatever_kid_a_token_names_but_only_its_algorithm() {
        let keys = KeySet::from_pem(&fixture("es256-public.pem"), Algorithm::ES256).unwrap();
        assert!(keys.select(Some("anything"), Algorithm::ES256).is_ok());
        assert!(keys.select(None, Algorithm::ES256).is_ok());
        assert!(matches!(keys.select(None, Algorithm::RS256), Err(KeyRefusal::WrongAlgorithm { .. })));
    }

    #[test]
    fn a_pem_key_of_the_wrong_kind_is_refused_with_a_reason() {
        let rsa = fixture("rs256-public.pem");
        let ec = fixture("es256-public.pem");
        assert!(KeySet::from_pem(&rsa, Algorithm::ES256).unwrap_err().contains("EC public key"));
        assert!(KeySet::from_pem(&ec, Algorithm::RS256).unwrap_err().contains("RSA public key"));
        assert!(KeySet::from_pem(&fixture("es384-public.pem"), Algorithm::ES256).unwrap_err().contains("P-256"));
        assert!(KeySet::from_pem(b"not a key", Algorithm::RS256).is_err());
    }

    #[test]
    fn unusable_jwks_keys_are_left_out_and_said_why() {
        let mut encryption = jwk("rs256-other-private.pem", Algorithm::RS256, "enc");
        encryption["use"] = "enc".into();
        let mut ps256 = jwk("rs256-other-private.pem", Algorithm::RS256, "pss");
        ps256["alg"] = "PS256".into();
        let mut es384_claimed = jwk("es256-other-private.pem", Algorithm::ES256, "claims-384");
        es384_claimed["alg"] = "ES384".into();
        let symmetric = serde_json::json!({ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" });
        let okp = serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
        let short_rsa = serde_json::json!({ "kty": "RSA", "kid": "short", "n": "AQAB", "e": "AQAB" });
        let good = jwk("es256-private.pem", Algorithm::ES256, "good");
        let document = jwks(&[encryption, ps256, es384_claimed, symmetric, okp, short_rsa, good.clone(), good]);
        let (keys, skipped) = KeySet::from_jwks(&document).unwrap();
        assert_eq!(keys.kids(), ["good"]);
        assert_eq!(skipped.len(), 7, "{skipped:?}");
        assert!(skipped.iter().any(|why| why.contains("symmetric")), "{skipped:?}");
        assert!(skipped.iter().any(|why| why.contains("2048")), "{skipped:?}");
    }

    #[test]
    fn a_jwks_without_a_usable_key_or_not_a_jwks_is_an_error() {
        assert!(KeySet::from_jwks(br#"{"keys": []}"#).unwrap_err().contains("no RS256 or ES256"));
        assert!(
            KeySet::from_jwks(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).unwrap_err().contains("symmetric")
        );
        assert!(KeySet::from_jwks(b"<html>").unwrap_err().contains("not a JWKS"));
        assert!(KeySet::from_jwks(br#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "!", "y": "!"}]}"#).is_err());
    }
}

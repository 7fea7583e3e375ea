//! Signing outbound webhook payloads and verifying them on the receiving side.
//!
//! The header format is Stripe-style: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, where the MAC covers
//! `"<unix seconds>." + body`. Binding the timestamp into the MAC is what makes replay windows enforceable:
//! an attacker who captures a delivery cannot re-send it later with a fresh `t=`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

/// HTTP header carrying the signature on every delivery.
pub const SIGNATURE_HEADER: &str = "Frontline-Signature";

/// Prefix of generated secrets, so a leaked secret is recognisable in logs and by secret scanners.
pub const SECRET_PREFIX: &str = "whsec_";

/// The version tag of the only signature scheme; other tags are ignored so a future `v2` can be rolled out
/// alongside `v1` without breaking receivers that only know `v1`.
const SCHEME_V1: &str = "v1";

/// Length in bytes of an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature header was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("malformed {SIGNATURE_HEADER} header: {0}")]
    Malformed(&'static str),
    #[error("{SIGNATURE_HEADER} header has no timestamp (expected `t=<unix seconds>`)")]
    MissingTimestamp,
    #[error("{SIGNATURE_HEADER} header has no v1 signature (expected `v1=<hex>`)")]
    MissingSignature,
    #[error("no v1 signature in the {SIGNATURE_HEADER} header matches the payload; check the signing secret")]
    Mismatch,
    #[error("signature timestamp is {age_secs} s old, more than the {tolerance_secs} s tolerance; possible replay")]
    TooOld { age_secs: i64, tolerance_secs: i64 },
    #[error(
        "signature timestamp is {ahead_secs} s in the future, more than the {tolerance_secs} s tolerance; check clocks"
    )]
    TooNew { ahead_secs: i64, tolerance_secs: i64 },
}

/// Signs `body` with one secret, producing the full header value `t=<unix>,v1=<hex>`.
pub fn sign(secret: &[u8], timestamp_unix: i64, body: &[u8]) -> String {
    sign_with_secrets(&[secret], timestamp_unix, body)
}

/// Signs `body` once per secret, producing `t=<unix>,v1=<hex>,v1=<hex>...`.
///
/// Used while a secret is being rotated: receivers that still hold the old secret and those that already
/// hold the new one both find a matching `v1` entry.
pub fn sign_with_secrets(secrets: &[&[u8]], timestamp_unix: i64, body: &[u8]) -> String {
    let timestamp = timestamp_unix.to_string();
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let tag = mac(secret, &timestamp, body).finalize().into_bytes();
        header.push_str(",v1=");
        header.push_str(&hex::encode(tag));
    }
    header
}

/// Verifies a signature header against `body`, accepting the delivery if any `v1` entry matches and the
/// timestamp lies within `tolerance_secs` of `now_unix` in either direction.
///
/// A negative tolerance is treated as zero.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let parsed = parse_header(header)?;
    let expected = mac(secret, parsed.timestamp_raw, body);
    // `verify_slice` consumes the MAC, hence the clone per candidate; it compares in constant time so the
    // response timing does not reveal how many leading bytes of a forged tag were right.
    let matched = parsed.signatures.iter().any(|tag| expected.clone().verify_slice(tag).is_ok());
    if !matched {
        return Err(SignatureError::Mismatch);
    }

    // Checked after the MAC so that a timestamp error tells the receiver the payload is authentic and only
    // the clock or a replay is at fault, rather than hiding a wrong secret behind a clock complaint.
    let tolerance_secs = tolerance_secs.max(0);
    let age_secs = now_unix.saturating_sub(parsed.timestamp);
    if age_secs > tolerance_secs {
        return Err(SignatureError::TooOld { age_secs, tolerance_secs });
    }
    let ahead_secs = parsed.timestamp.saturating_sub(now_unix);
    if ahead_secs > tolerance_secs {
        return Err(SignatureError::TooNew { ahead_secs, tolerance_secs });
    }
    Ok(())
}

/// Formats caller-supplied random bytes as a webhook secret, e.g. `whsec_3f9a...`.
///
/// The whole string (prefix included) is the HMAC key, so senders and receivers can copy it verbatim.
pub fn new_secret(random: [u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", hex::encode(random))
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

struct ParsedHeader<'a> {
    timestamp: i64,
    timestamp_raw: &'a str,
    signatures: Vec<[u8; TAG_LEN]>,
}

fn parse_header(header: &str) -> Result<ParsedHeader<'_>, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (key, value) = item.split_once('=').ok_or(SignatureError::Malformed("entry without `=`"))?;
        match key.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one timestamp"));
                }
                let raw = value.trim();
                let parsed: i64 = raw.parse().map_err(|_| SignatureError::Malformed("timestamp is not an integer"))?;
                // The MAC covers the timestamp text, so only the canonical spelling is accepted; otherwise
                // `t=+17` and `t=017` would be distinct signed strings that mean the same instant.
                if parsed.to_string() != raw {
                    return Err(SignatureError::Malformed("timestamp is not in canonical decimal form"));
                }
                timestamp = Some((parsed, raw));
            }
            SCHEME_V1 => {
                let mut tag = [0u8; TAG_LEN];
                hex::decode_to_slice(value.trim(), &mut tag)
                    .map_err(|_| SignatureError::Malformed("v1 signature is not 64 hex digits"))?;
                signatures.push(tag);
            }
            _ => {}
        }
    }
    let (timestamp, timestamp_raw) = timestamp.ok_or(SignatureError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    Ok(ParsedHeader { timestamp, timestamp_raw, signatures })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"secret";
    const TS: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"a":1}"#;
    // Computed independently: printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    const KNOWN_TAG: &str = "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686";

    #[test]
    fn known_answer() {
        assert_eq!(sign(SECRET, TS, BODY), format!("t=1700000000,v1={KNOWN_TAG}"));
    }

    #[test]
    fn known_answer_empty_body() {
        // printf '%s' '1700000000.' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign(SECRET, TS, b""),
            "t=1700000000,v1=4bc5f74d868b97888288889c5d9d65df02526f94c1592a79fdf4fe8b26e311e5"
        );
    }

    #[test]
    fn verify_accepts_known_header() {
        let header = format!("t=1700000000,v1={KNOWN_TAG}");
        assert_eq!(verify(SECRET, &header, BODY, TS, 300), Ok(()));
    }

    #[test]
    fn verify_accepts_uppercase_hex_and_whitespace() {
        let header = format!(" t=1700000000 , v1={} ", KNOWN_TAG.to_uppercase());
        assert_eq!(verify(SECRET, &header, BODY, TS, 300), Ok(()));
    }

    #[test]
    fn verify_rejects_wrong_secret() {
        let header = sign(b"other", TS, BODY);
        assert_eq!(verify(SECRET, &header, BODY, TS, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn verify_rejects_tampered_body() {
        let header = sign(SECRET, TS, BODY);
        assert_eq!(verify(SECRET, &header, br#"{"a":2}"#, TS, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn verify_rejects_changed_timestamp() {
        // Replaying an old body with a fresh timestamp must fail: the timestamp is inside the MAC.
        let header = format!("t={},v1={KNOWN_TAG}", TS + 1000);
        assert_eq!(verify(SECRET, &header, BODY, TS + 1000, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn tolerance_boundaries() {
        let header = sign(SECRET, TS, BODY);
        assert_eq!(verify(SECRET, &header, BODY, TS + 300, 300), Ok(()));
        assert_eq!(verify(SECRET, &header, BODY, TS - 300, 300), Ok(()));
        assert_eq!(
            verify(SECRET, &header, BODY, TS + 301, 300),
            Err(SignatureError::TooOld { age_secs: 301, tolerance_secs: 300 })
        );
        assert_eq!(
            verify(SECRET, &header, BODY, TS - 301, 300),
            Err(SignatureError::TooNew { ahead_secs: 301, tolerance_secs: 300 })
        );
    }

    #[test]
    fn negative_tolerance_means_exact_second_only() {
        let header = sign(SECRET, TS, BODY);
        assert_eq!(verify(SECRET, &header, BODY, TS, -5), Ok(()));
        assert!(matches!(verify(SECRET, &header, BODY, TS + 1, -5), Err(SignatureError::TooOld { .. })));
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let header = sign(SECRET, i64::MIN, BODY);
        assert!(matches!(verify(SECRET, &header, BODY, i64::MAX, 300), Err(SignatureError::TooOld { .. })));
        let header = sign(SECRET, i64::MAX, BODY);
        assert!(matches!(verify(SECRET, &header, BODY, i64::MIN, 300), Err(SignatureError::TooNew { .. })));
    }

    #[test]
    fn rotation_any_matching_entry_is_accepted() {
        let header = sign_with_secrets(&[b"old", b"new"], TS, BODY);
        assert_eq!(header.matches("v1=").count(), 2);
        assert_eq!(verify(b"old", &header, BODY, TS, 300), Ok(()));
        assert_eq!(verify(b"new", &header, BODY, TS, 300), Ok(()));
        assert_eq!(verify(b"neither", &header, BODY, TS, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn unknown_schemes_are_ignored() {
        let header = format!("t=1700000000,v0=abc,v2=zzz,v1={KNOWN_TAG}");
        assert_eq!(verify(SECRET, &header, BODY, TS, 300), Ok(()));
        // ...but an unknown scheme alone is not a signature.
        assert_eq!(verify(SECRET, "t=1700000000,v2=abc", BODY, TS, 300), Err(SignatureError::MissingSignature));
    }

    #[test]
    fn malformed_headers() {
        let tag = KNOWN_TAG;
        let cases: &[(&str, SignatureError)] = &[
            ("", SignatureError::MissingTimestamp),
            (&format!("v1={tag}")[..], SignatureError::MissingTimestamp),
            ("t=1700000000", SignatureError::MissingSignature),
            ("t=1700000000,v1", SignatureError::Malformed("entry without `=`")),
            ("garbage", SignatureError::Malformed("entry without `=`")),
            ("t=abc,v1=00", SignatureError::Malformed("timestamp is not an integer")),
            ("t=,v1=00", SignatureError::Malformed("timestamp is not an integer")),
            ("t=99999999999999999999,v1=00", SignatureError::Malformed("timestamp is not an integer")),
            ("t=+1700000000,v1=00", SignatureError::Malformed("timestamp is not in canonical decimal form")),
            ("t=01700000000,v1=00", SignatureError::Malformed("timestamp is not in canonical decimal form")),
            ("t=1,t=2,v1=00", SignatureError::Malformed("more than one timestamp")),
            ("t=1700000000,v1=zz", SignatureError::Malformed("v1 signature is not 64 hex digits")),
            ("t=1700000000,v1=abcd", SignatureError::Malformed("v1 signature is not 64 hex digits")),
            (&format!("t=1700000000,v1={tag}00")[..], SignatureError::Malformed("v1 signature is not 64 hex digits")),
        ];
        for (header, expected) in cases {
            assert_eq!(verify(SECRET, header, BODY, TS, 300).as_ref(), Err(expected), "header {header:?}");
        }
    }

    #[test]
    fn error_messages_are_actionable() {
        assert_eq!(
            SignatureError::Mismatch.to_string(),
            "no v1 signature in the Frontline-Signature header matches the payload; check the signing secret"
        );
        assert_eq!(
            SignatureError::TooOld { age_secs: 400, tolerance_secs: 300 }.to_string(),
            "signature timestamp is 400 s old, more than the 300 s tolerance; possible replay"
        );
    }

    #[test]
    fn new_secret_format() {
        let secret = new_secret([0xab; 32]);
        assert_eq!(secret, format!("whsec_{}", "ab".repeat(32)));
        assert_eq!(new_secret([0; 32]).len(), SECRET_PREFIX.len() + 64);
        // The generated string is used verbatim as the key.
        let header = sign(secret.as_bytes(), TS, BODY);
        assert_eq!(verify(secret.as_bytes(), &header, BODY, TS, 0), Ok(()));
    }

    proptest! {
        #[test]
        fn sign_verify_round_trip(
            secret in proptest::collection::vec(any::<u8>(), 0..100),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            ts in any::<i64>(),
        ) {
            let header = sign(&secret, ts, &body);
            prop_assert_eq!(verify(&secret, &header, &body, ts, 300), Ok(()));
        }

        #[test]
        fn flipped_body_byte_fails(
            secret in proptest::collection::vec(any::<u8>(), 1..64),
            body in proptest::collection::vec(any::<u8>(), 1..512),
            index in any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let header = sign(&secret, TS, &body);
            let mut tampered = body.clone();
            tampered[index.index(body.len())] ^= flip;
            prop_assert_eq!(verify(&secret, &header, &tampered, TS, 300), Err(SignatureError::Mismatch));
        }

        #[test]
        fn flipped_signature_digit_fails(
            body in proptest::collection::vec(any::<u8>(), 0..256),
            index in 0usize..64,
        ) {
            let header = sign(SECRET, TS, &body);
            let prefix_len = "t=1700000000,v1=".len();
            let mut bytes = header.into_bytes();
            let digit = &mut bytes[prefix_len + index];
            *digit = if *digit == b'0' { b'1' } else { b'0' };
            let tampered = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(verify(SECRET, &tampered, &body, TS, 300), Err(SignatureError::Mismatch));
        }

        #[test]
        fn verify_never_panics(header in ".{0,200}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = verify(SECRET, &header, &body, TS, 300);
        }
    }
}

//! Page sizes and opaque page tokens (AIP-158). A token carries the keyset position after the
//! last item returned, a fingerprint of the query it belongs to (so a token replayed with
//! another filter or order is rejected instead of silently returning the wrong page) and when
//! it expires, and is signed: a token a caller made up or altered is refused before anything in
//! it is used, since what it holds (an offset, a sort key) goes straight into a query.
use std::{
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    auth::Principal,
    error::{ApiError, ApiResult},
};

pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 1000;

/// 0 means the default, above the maximum is capped, negative is the caller's mistake.
pub fn page_size(requested: i32) -> ApiResult<usize> {
    page_size_within(requested, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
}

pub fn page_size_within(requested: i32, default: usize, max: usize) -> ApiResult<usize> {
    match requested {
        n if n < 0 => Err(ApiError::invalid("page_size", "must not be negative")),
        0 => Ok(default),
        n => Ok((n as usize).min(max)),
    }
}

/// The keyset position after which the next page starts: the sort key and id of the last item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub sort_key: String,
    pub id: String,
}

#[derive(Serialize, Deserialize)]
struct TokenBody {
    /// Fingerprint of the query (filter, order) the token was issued for.
    q: String,
    k: String,
    i: String,
    /// When it stops being accepted, in seconds since the Unix epoch.
    e: u64,
}

/// How long a page token is accepted: long enough to page through anything, short enough that
/// a leaked token soon stops working.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Bytes of HMAC-SHA256 kept in a token: 128 bits, as many as a forger must guess.
const MAC_BYTES: usize = 16;

/// The key tokens are signed with. One per process, set at start from the install's signing
/// secret ([`use_token_key`]) so every replica of an install accepts the others' tokens; a
/// process-wide value rather than a parameter of every list call because, like the clock, it is
/// the same for every call the process serves.
static TOKEN_KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Signs page tokens with a key derived from `secret` (the install's signing secret, shared by
/// its replicas). The first call in a process wins; until one is made, a random key serves.
pub fn use_token_key(secret: &[u8]) {
    let _ = TOKEN_KEY.set(derive_key(secret));
}

fn derive_key(secret: &[u8]) -> [u8; 32] {
    // Domain-separated, so the key signing page tokens is never the one signing bearer tokens.
    let mut hasher = Sha256::new();
    hasher.update(b"frontline page tokens\0");
    hasher.update(secret);
    hasher.finalize().into()
}

fn token_key() -> &'static [u8; 32] {
    TOKEN_KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("randomness for the page-token key");
        key
    })
}

fn mac(key: &[u8; 32], body: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body.as_bytes());
    mac
}

fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// Fingerprints a query from who asks and its parts (filter, order_by, anything else that
/// shapes results): a token works only for the query, and the caller, it was issued to, so a
/// token that leaks (in a log, a URL, a shared screen) pages nothing for anyone else.
pub fn query_fingerprint(caller: &Principal, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in [caller.subject.as_str(), caller.role.as_str(), caller.team_id.as_deref().unwrap_or("")] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    URL_SAFE_NO_PAD.encode(&hasher.finalize()[..12])
}

pub fn encode_token(fingerprint: &str, cursor: &Cursor) -> String {
    encode_token_with(token_key(), now_seconds() + TOKEN_LIFETIME.as_secs(), fingerprint, cursor)
}

fn encode_token_with(key: &[u8; 32], expires: u64, fingerprint: &str, cursor: &Cursor) -> String {
    let body = TokenBody { q: fingerprint.into(), k: cursor.sort_key.clone(), i: cursor.id.clone(), e: expires };
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).expect("token body serialises"));
    let signature = mac(key, &body).finalize().into_bytes();
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(&signature[..MAC_BYTES]))
}

/// Decodes `token` for the query with `fingerprint`; an empty token is the first page. A token
/// this process's install did not sign, one altered since, one past its lifetime or one for
/// another query is INVALID_ARGUMENT naming `page_token`.
pub fn decode_token(token: &str, fingerprint: &str) -> ApiResult<Option<Cursor>> {
    decode_token_with(token_key(), now_seconds(), token, fingerprint)
}

fn decode_token_with(key: &[u8; 32], now: u64, token: &str, fingerprint: &str) -> ApiResult<Option<Cursor>> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || ApiError::invalid("page_token", "is not a token this server issued");
    let (body, signature) = token.split_once('.').ok_or_else(invalid)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
    // Checked before the body is even decoded, in constant time.
    if signature.len() != MAC_BYTES {
        return Err(invalid());
    }
    mac(key, body).verify_truncated_left(&signature).map_err(|_| invalid())?;
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let body: TokenBody = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if body.e < now {
        return Err(ApiError::invalid("page_token", "has expired; start again without a page token"));
    }
    if body.q != fingerprint {
        return Err(ApiError::invalid(
            "page_token",
            "was issued for a different filter or order_by; start again without a page token",
        ));
    }
    Ok(Some(Cursor { sort_key: body.k, id: body.i }))
}

/// The offset a ranked page's token carries (a search ranks, it has no sort key to resume
/// after): 0 without a token; INVALID_ARGUMENT `page_token` for one that is not this query's,
/// or that points at or past `depth`, the deepest a search pages.
pub fn decode_offset_token(token: &str, fingerprint: &str, depth: usize) -> ApiResult<usize> {
    match decode_token(token, fingerprint)? {
        Some(cursor) => cursor
            .sort_key
            .parse::<usize>()
            .ok()
            .filter(|offset| *offset < depth)
            .ok_or_else(|| ApiError::invalid("page_token", "is damaged")),
        None => Ok(0),
    }
}

/// The token of the ranked page starting at `offset`.
pub fn encode_offset_token(fingerprint: &str, offset: usize) -> String {
    encode_token(fingerprint, &Cursor { sort_key: offset.to_string(), id: String::new() })
}

/// Trims a page fetched with one item more than `page_size` (so "is there more?" costs no
/// second query) and returns the token that continues after its last item, or "" at the end.
pub fn finish_page<T>(
    items: &mut Vec<T>,
    page_size: usize,
    fingerprint: &str,
    cursor: impl Fn(&T) -> Cursor,
) -> String {
    let more = items.len() > page_size;
    items.truncate(page_size);
    match items.last() {
        Some(last) if more => encode_token(fingerprint, &cursor(last)),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn a_page_fetched_one_long_is_trimmed_and_continues_after_its_last_item() {
        let cursor = |n: &i32| Cursor { sort_key: String::new(), id: n.to_string() };
        let mut full = vec![1, 2, 3];
        let token = finish_page(&mut full, 2, "q", cursor);
        assert_eq!(full, [1, 2]);
        assert_eq!(decode_token(&token, "q").unwrap().unwrap().id, "2");
        let mut last = vec![1, 2];
        assert_eq!(finish_page(&mut last, 2, "q", cursor), "");
    }

    #[test]
    fn page_size_defaults_caps_and_rejects_negative() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7).unwrap(), 7);
        assert_eq!(page_size(1_000_000).unwrap(), MAX_PAGE_SIZE);
        assert!(page_size(-1).is_err());
    }

    fn agent(subject: &str) -> Principal {
        Principal::new(subject, Role::Agent, Some("tier1"))
    }

    #[test]
    fn a_token_pages_only_for_the_caller_it_was_issued_to() {
        let parts = ["status = OPEN", "created_at desc"];
        let ola = query_fingerprint(&agent("agent-ola"), &parts);
        let token = encode_token(&ola, &Cursor { sort_key: "1".into(), id: "1".into() });
        assert!(decode_token(&token, &query_fingerprint(&agent("agent-tom"), &parts)).is_err(), "another person");
        let promoted = Principal { role: Role::TeamLead, ..agent("agent-ola") };
        assert!(decode_token(&token, &query_fingerprint(&promoted, &parts)).is_err(), "another role");
        assert!(decode_token(&token, &ola).unwrap().is_some());
    }

    #[test]
    fn token_round_trips_for_its_own_query_only() {
        let query = query_fingerprint(&agent("a"), &["status = OPEN", "created_at desc"]);
        let other = query_fingerprint(&agent("a"), &["status = NEW", "created_at desc"]);
        let cursor = Cursor { sort_key: "123".into(), id: "9".into() };
        let token = encode_token(&query, &cursor);
        assert_eq!(decode_token(&token, &query).unwrap(), Some(cursor));
        assert!(decode_token(&token, &other).is_err());
        assert!(decode_token("garbage!", &query).is_err());
        assert_eq!(decode_token("", &query).unwrap(), None);
    }

    fn key(byte: u8) -> [u8; 32] {
        [byte; 32]
    }

    #[test]
    fn an_altered_token_is_refused_before_its_contents_are_used() {
        let query = query_fingerprint(&agent("a"), &["search", "printer"]);
        let token = encode_token_with(&key(1), 2_000, &query, &Cursor { sort_key: "10".into(), id: String::new() });
        let (body, signature) = token.split_once('.').unwrap();
        // The forger's move: decode the body, raise the offset, encode it again.
        let mut forged: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        forged["k"] = "10000000000000".into();
        let forged = format!("{}.{signature}", URL_SAFE_NO_PAD.encode(forged.to_string()));
        let refused = decode_token_with(&key(1), 1_000, &forged, &query).unwrap_err();
        assert!(format!("{refused:?}").contains("page_token"));
        assert!(decode_token_with(&key(1), 1_000, body, &query).is_err(), "the body alone, unsigned");
        assert!(decode_token_with(&key(2), 1_000, &token, &query).is_err(), "another install's key");
        assert_eq!(decode_token_with(&key(1), 1_000, &token, &query).unwrap().unwrap().sort_key, "10");
    }

    #[test]
    fn a_token_past_its_lifetime_is_refused_saying_so() {
        let query = query_fingerprint(&agent("a"), &["status = OPEN"]);
        let token = encode_token_with(&key(1), 2_000, &query, &Cursor { sort_key: "k".into(), id: "1".into() });
        assert!(decode_token_with(&key(1), 2_000, &token, &query).is_ok(), "valid up to its expiry");
        let expired = format!("{:?}", decode_token_with(&key(1), 2_001, &token, &query).unwrap_err());
        assert!(expired.contains("page_token") && expired.contains("expired"), "{expired}");
    }

    #[test]
    fn replicas_sharing_a_secret_share_the_key_and_others_do_not() {
        assert_eq!(derive_key(b"install secret"), derive_key(b"install secret"));
        assert_ne!(derive_key(b"install secret"), derive_key(b"another install"));
    }

    proptest::proptest! {
        /// A page token comes back from the caller as any text at all: it is a page or an
        /// InvalidArgument naming `page_token`, never a panic.
        #[test]
        fn any_token_is_a_cursor_or_refused_naming_the_page_token(token in proptest::prelude::any::<String>()) {
            if let Err(error) = decode_token(&token, "q") {
                match error {
                    ApiError::InvalidArgument(violations) => proptest::prop_assert_eq!(&violations[0].field, "page_token"),
                    other => panic!("a forged token must be InvalidArgument, got {other:?}"),
                }
            }
        }

        /// Base64 of arbitrary bytes is what a forger would try next: it must be refused too.
        #[test]
        fn forged_base64_tokens_are_refused(bytes in proptest::collection::vec(0u8.., 0..200)) {
            proptest::prop_assume!(!bytes.is_empty());
            let forged = URL_SAFE_NO_PAD.encode(&bytes);
            let decoded = decode_token(&forged, &query_fingerprint(&agent("a"), &["status = OPEN"]));
            proptest::prop_assert!(decoded.is_err(), "random bytes carry no issued query fingerprint");
        }

        #[test]
        fn issued_tokens_round_trip(parts in proptest::collection::vec(".*", 0..3), sort_key in ".*", id in ".*") {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let fingerprint = query_fingerprint(&agent("a"), &parts);
            let cursor = Cursor { sort_key, id };
            proptest::prop_assert_eq!(decode_token(&encode_token(&fingerprint, &cursor), &fingerprint).unwrap(), Some(cursor));
        }
    }
}

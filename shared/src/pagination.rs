//! Page sizes and opaque page tokens (AIP-158). A token carries the keyset position after the
//! last item returned and a fingerprint of the query it belongs to, so a token replayed with
//! another filter or order is rejected instead of silently returning the wrong page.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

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
}

/// Fingerprints a query from its parts (filter, order_by, anything else that shapes results).
pub fn query_fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    URL_SAFE_NO_PAD.encode(&hasher.finalize()[..12])
}

pub fn encode_token(fingerprint: &str, cursor: &Cursor) -> String {
    let body = TokenBody { q: fingerprint.into(), k: cursor.sort_key.clone(), i: cursor.id.clone() };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).expect("token body serialises"))
}

/// Decodes `token` for the query with `fingerprint`; an empty token is the first page.
pub fn decode_token(token: &str, fingerprint: &str) -> ApiResult<Option<Cursor>> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || ApiError::invalid("page_token", "is not a token this server issued");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let body: TokenBody = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if body.q != fingerprint {
        return Err(ApiError::invalid(
            "page_token",
            "was issued for a different filter or order_by; start again without a page token",
        ));
    }
    Ok(Some(Cursor { sort_key: body.k, id: body.i }))
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

    #[test]
    fn token_round_trips_for_its_own_query_only() {
        let query = query_fingerprint(&["status = OPEN", "created_at desc"]);
        let other = query_fingerprint(&["status = NEW", "created_at desc"]);
        let cursor = Cursor { sort_key: "123".into(), id: "9".into() };
        let token = encode_token(&query, &cursor);
        assert_eq!(decode_token(&token, &query).unwrap(), Some(cursor));
        assert!(decode_token(&token, &other).is_err());
        assert!(decode_token("garbage!", &query).is_err());
        assert_eq!(decode_token("", &query).unwrap(), None);
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
            let decoded = decode_token(&forged, &query_fingerprint(&["status = OPEN"]));
            proptest::prop_assert!(decoded.is_err(), "random bytes carry no issued query fingerprint");
        }

        #[test]
        fn issued_tokens_round_trip(parts in proptest::collection::vec(".*", 0..3), sort_key in ".*", id in ".*") {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let fingerprint = query_fingerprint(&parts);
            let cursor = Cursor { sort_key, id };
            proptest::prop_assert_eq!(decode_token(&encode_token(&fingerprint, &cursor), &fingerprint).unwrap(), Some(cursor));
        }
    }
}

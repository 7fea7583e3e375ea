//! Update masks (AIP-134): named paths must be updatable; `*` means every updatable field;
//! no mask means the fields the caller populated.
use crate::error::{ApiError, ApiResult};

pub fn resolve(
    paths: &[String],
    updatable: &'static [&'static str],
    is_populated: impl Fn(&str) -> bool,
) -> ApiResult<Vec<&'static str>> {
    if paths.is_empty() {
        return Ok(updatable.iter().copied().filter(|path| is_populated(path)).collect());
    }
    if paths.iter().any(|path| path == "*") {
        return Ok(updatable.to_vec());
    }
    let mut resolved = Vec::new();
    for path in paths {
        let known = updatable.iter().copied().find(|candidate| candidate == path).ok_or_else(|| {
            ApiError::invalid(
                "update_mask.paths",
                format!("`{path}` cannot be updated; updatable fields are {}", updatable.join(", ")),
            )
        })?;
        if !resolved.contains(&known) {
            resolved.push(known);
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[&str] = &["name", "tier"];

    #[test]
    fn named_paths_must_be_updatable() {
        assert_eq!(resolve(&["tier".into()], FIELDS, |_| false).unwrap(), ["tier"]);
        assert!(resolve(&["id".into()], FIELDS, |_| false).unwrap_err().to_string().contains("`id` cannot be updated"));
        assert_eq!(resolve(&["*".into()], FIELDS, |_| false).unwrap(), FIELDS);
        assert_eq!(resolve(&[], FIELDS, |path| path == "name").unwrap(), ["name"]);
    }

    proptest::proptest! {
        /// Whatever paths a caller sends, the mask resolves to updatable fields only, or is an
        /// InvalidArgument naming `update_mask.paths`.
        #[test]
        fn any_paths_resolve_to_updatable_fields_or_are_refused(
            paths in proptest::collection::vec(proptest::prop_oneof!["name", "tier", "\\*", ".*"], 0..5),
            populated in ".*",
        ) {
            match resolve(&paths, FIELDS, |path| populated.contains(path)) {
                Ok(resolved) => {
                    proptest::prop_assert!(resolved.iter().all(|path| FIELDS.contains(path)));
                    let unique: std::collections::HashSet<_> = resolved.iter().collect();
                    proptest::prop_assert_eq!(unique.len(), resolved.len(), "each field once");
                }
                Err(ApiError::InvalidArgument(violations)) => {
                    proptest::prop_assert_eq!(&violations[0].field, "update_mask.paths")
                }
                Err(other) => panic!("a bad mask must be InvalidArgument, got {other:?}"),
            }
        }
    }
}

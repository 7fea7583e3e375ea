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
}

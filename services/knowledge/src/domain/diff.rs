//! Comparing two versions of an article for review and history views.

use similar::{ChangeTag, TextDiff};

const CONTEXT_LINES: usize = 3;

#[derive(Debug, Clone, Copy)]
pub struct VersionText<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub tags: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub title_changed: bool,
    pub tags_added: Vec<String>,
    pub tags_removed: Vec<String>,
    /// Unified diff of the bodies; empty when the bodies are equal.
    pub unified_diff: String,
    pub lines_added: u32,
    pub lines_removed: u32,
}

pub fn compare(from: &VersionText, to: &VersionText, from_label: &str, to_label: &str) -> Comparison {
    let diff = TextDiff::from_lines(from.body, to.body);
    let (mut added, mut removed) = (0usize, 0usize);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let unified_diff = diff.unified_diff().context_radius(CONTEXT_LINES).header(from_label, to_label).to_string();
    Comparison {
        title_changed: from.title != to.title,
        tags_added: missing_from(to.tags, from.tags),
        tags_removed: missing_from(from.tags, to.tags),
        unified_diff,
        // Saturating: a body with four billion changed lines is not worth an error path.
        lines_added: u32::try_from(added).unwrap_or(u32::MAX),
        lines_removed: u32::try_from(removed).unwrap_or(u32::MAX),
    }
}

/// Tags of `source` absent from `other`, in `source` order and without repeats, so the UI shows them stably.
fn missing_from(source: &[String], other: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in source {
        if !other.contains(tag) && !out.contains(tag) {
            out.push(tag.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn identical_versions_have_no_changes() {
        let t = tags(&["a"]);
        let v = VersionText { title: "T", body: "one\ntwo\n", tags: &t };
        let c = compare(&v, &v, "v1", "v2");
        assert!(!c.title_changed);
        assert!(c.tags_added.is_empty() && c.tags_removed.is_empty());
        assert_eq!(c.unified_diff, "");
        assert_eq!((c.lines_added, c.lines_removed), (0, 0));
    }

    #[test]
    fn changed_line_produces_unified_diff_with_labels() {
        let (a, b) = (tags(&[]), tags(&[]));
        let from = VersionText { title: "T", body: "1\n2\n3\n4\n5\n6\n7\n8\n9\n", tags: &a };
        let to = VersionText { title: "T", body: "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n", tags: &b };
        let c = compare(&from, &to, "version 1", "version 2");
        let expected = "--- version 1\n+++ version 2\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n";
        assert_eq!(c.unified_diff, expected);
        assert_eq!((c.lines_added, c.lines_removed), (1, 1));
    }

    #[test]
    fn counts_pure_additions_and_removals() {
        let t = tags(&[]);
        let from = VersionText { title: "Old", body: "a\nb\nc\n", tags: &t };
        let to = VersionText { title: "New", body: "a\nc\nd\ne\n", tags: &t };
        let c = compare(&from, &to, "a", "b");
        assert!(c.title_changed);
        assert_eq!((c.lines_added, c.lines_removed), (2, 1));
        assert!(c.unified_diff.contains("-b\n") && c.unified_diff.contains("+e\n"), "{}", c.unified_diff);
    }

    #[test]
    fn tag_changes_are_listed_in_order_without_duplicates() {
        let (a, b) = (tags(&["billing", "refund", "old", "old"]), tags(&["new", "billing", "faq", "new"]));
        let c = compare(
            &VersionText { title: "T", body: "", tags: &a },
            &VersionText { title: "T", body: "", tags: &b },
            "a",
            "b",
        );
        assert_eq!(c.tags_added, tags(&["new", "faq"]));
        assert_eq!(c.tags_removed, tags(&["refund", "old"]));
    }

    #[test]
    fn missing_trailing_newline_is_marked() {
        let t = tags(&[]);
        let c = compare(
            &VersionText { title: "T", body: "a\n", tags: &t },
            &VersionText { title: "T", body: "a\nb", tags: &t },
            "a",
            "b",
        );
        assert!(c.unified_diff.contains("\\ No newline at end of file"), "{}", c.unified_diff);
        assert_eq!(c.lines_added, 1);
    }
}

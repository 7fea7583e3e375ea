//! The knowledge records as the service keeps them, and the rules for making and changing them.
//! Instants are microseconds since the Unix epoch, as everywhere in Frontline.
use super::{
    article::{self, ArticleStatus, ArticleType, Visibility},
    content::BodyFormat,
    verification::{RuleTrigger, VerificationInterval},
};

/// Who may read and write a collection's articles (see `access`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    pub reader_team_ids: Vec<String>,
    pub editor_team_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub id: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub permissions: Permissions,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

impl Collection {
    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
}

/// Who vouches for an article and how often.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verifier {
    pub person_id: String,
    pub team_id: String,
    pub interval: Option<VerificationInterval>,
}

/// Whether an article is trusted now, and since when.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerificationRecord {
    pub verified: bool,
    pub verified_by: String,
    pub verified_at: Option<i64>,
    pub due_at: Option<i64>,
    pub unverified_reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: String,
    pub external_id: Option<String>,
    pub collection_id: String,
    pub article_type: ArticleType,
    pub visibility: Visibility,
    pub status: ArticleStatus,
    pub source_locale: String,
    pub tags: Vec<String>,
    pub owner_id: String,
    pub author_id: String,
    pub verifier: Verifier,
    pub verification: VerificationRecord,
    pub helpful_votes: i64,
    pub not_helpful_votes: i64,
    pub view_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub revision: i64,
}

impl Article {
    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// The copy to store after a change made at `now`.
    pub fn touched(&self, now: i64) -> Article {
        Article { updated_at: now, revision: self.revision + 1, ..self.clone() }
    }
}

/// One locale of an article, the source locale included.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub article_id: String,
    pub locale: String,
    pub title: String,
    pub body: String,
    pub body_format: BodyFormat,
    pub body_html: String,
    pub body_text: String,
    pub content_revision: i64,
    pub source_revision: i64,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

impl Translation {
    /// A translation is outdated once its source changed after it was saved.
    pub fn outdated(&self, source: &Translation) -> bool {
        self.locale != source.locale && self.source_revision < source.content_revision
    }

    pub fn same_content(&self, title: &str, body: &str, format: BodyFormat) -> bool {
        self.title == title && self.body == body && self.body_format == format
    }
}

/// A published state of one locale.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub article_id: String,
    pub locale: String,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub body_format: BodyFormat,
    pub tags: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub note: String,
}

/// An edit of one locale of a published article waiting for a publisher (see `publishing`):
/// readers keep the translation's text until it is published.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub article_id: String,
    pub locale: String,
    pub title: String,
    pub body: String,
    pub body_format: BodyFormat,
    /// The published version of the locale it was written against (0 = never published).
    pub base_version: i64,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
}

impl Revision {
    pub fn same_content(&self, title: &str, body: &str, format: BodyFormat) -> bool {
        self.title == title && self.body == body && self.body_format == format
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub collection_id: String,
    pub trigger: RuleTrigger,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    pub id: String,
    pub article_id: String,
    pub locale: String,
    pub helpful: bool,
    pub comment: String,
    pub voter: String,
    pub ticket_id: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deflection {
    pub ticket_id: String,
    pub article_id: String,
    pub locale: String,
    pub marked_by: String,
    pub marked_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub query: String,
    pub locale: String,
    pub count: i64,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
}

/// Validates and normalises a list of tags (deduplicated, sorted), naming the bad one.
pub fn normalize_tags(tags: &[String]) -> Result<Vec<String>, (usize, &'static str)> {
    let mut normalized = Vec::with_capacity(tags.len());
    for (index, tag) in tags.iter().enumerate() {
        normalized.push(article::validate_tag(tag).map_err(|problem| (index, problem))?);
    }
    normalized.sort();
    normalized.dedup();
    Ok(normalized)
}

/// Title rules shared by articles and translations.
pub fn validate_title(title: &str) -> Result<String, &'static str> {
    let title = title.trim();
    match title.chars().count() {
        0 => Err("is required"),
        n if n > 300 => Err("must be at most 300 characters"),
        _ => Ok(title.to_owned()),
    }
}

/// Bodies are bounded so one article cannot swamp the index or a response.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn translation(locale: &str, content_revision: i64, source_revision: i64) -> Translation {
        Translation {
            article_id: "a".into(),
            locale: locale.into(),
            title: "t".into(),
            body: String::new(),
            body_format: BodyFormat::Markdown,
            body_html: String::new(),
            body_text: String::new(),
            content_revision,
            source_revision,
            version: 0,
            updated_at: 0,
            updated_by: String::new(),
        }
    }

    #[test]
    fn a_translation_goes_outdated_when_its_source_changes_after_it() {
        let source = translation("en", 3, 3);
        assert!(!translation("pl", 1, 3).outdated(&source));
        assert!(translation("pl", 1, 2).outdated(&source));
        assert!(!source.outdated(&source), "the source is never outdated against itself");
    }

    #[test]
    fn tags_are_normalised_and_a_bad_one_is_named() {
        assert_eq!(normalize_tags(&["Billing".into(), "billing".into(), "api".into()]).unwrap(), ["api", "billing"]);
        assert_eq!(normalize_tags(&["ok".into(), "two words".into()]).unwrap_err().0, 1);
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(validate_title("  Refunds ").unwrap(), "Refunds");
        assert!(validate_title("   ").is_err());
        assert!(validate_title(&"x".repeat(301)).is_err());
    }
}

//! Rules for articles: their kinds, audiences, lifecycle, locales and tags.

/// Names are compared loosely ("Best-Practice" reads as "best_practice") because they arrive from hand-written
/// front matter and query strings.
fn loose_eq(name: &str, canonical: &str) -> bool {
    let name = name.trim();
    name.len() == canonical.len()
        && name.bytes().zip(canonical.bytes()).all(|(a, b)| a.to_ascii_lowercase() == b || (a == b'-' && b == b'_'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArticleType {
    Faq,
    Solution,
    Procedure,
    BestPractice,
}

impl ArticleType {
    pub const ALL: [ArticleType; 4] =
        [ArticleType::Faq, ArticleType::Solution, ArticleType::Procedure, ArticleType::BestPractice];

    pub fn name(self) -> &'static str {
        match self {
            ArticleType::Faq => "faq",
            ArticleType::Solution => "solution",
            ArticleType::Procedure => "procedure",
            ArticleType::BestPractice => "best_practice",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| loose_eq(name, t.name()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Internal,
    Public,
}

impl Visibility {
    pub const ALL: [Visibility; 2] = [Visibility::Internal, Visibility::Public];

    pub fn name(self) -> &'static str {
        match self {
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| loose_eq(name, v.name()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl ArticleStatus {
    pub const ALL: [ArticleStatus; 3] = [ArticleStatus::Draft, ArticleStatus::Published, ArticleStatus::Archived];

    pub fn name(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
            ArticleStatus::Archived => "archived",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| loose_eq(name, s.name()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("article is already {}", .0.name())]
    Unchanged(ArticleStatus),
    #[error("an archived article cannot be published directly; restore it to draft first")]
    RestoreFirst,
    #[error("a draft cannot be archived; publish it first or delete it")]
    DraftToArchived,
}

/// Allowed: draft → published, published → draft (unpublish), published → archived, archived → draft (restore).
pub fn transition(from: ArticleStatus, to: ArticleStatus) -> Result<(), TransitionError> {
    use ArticleStatus::*;
    match (from, to) {
        (Draft, Published) | (Published, Draft) | (Published, Archived) | (Archived, Draft) => Ok(()),
        (Archived, Published) => Err(TransitionError::RestoreFirst),
        (Draft, Archived) => Err(TransitionError::DraftToArchived),
        (Draft, Draft) | (Published, Published) | (Archived, Archived) => Err(TransitionError::Unchanged(to)),
    }
}

const MAX_LOCALE_LEN: usize = 35;

/// Accepts the common BCP-47 shape (language, then 2–8 character subtags) and returns its canonical casing,
/// so "EN_us" and "en-US" are stored as one locale. Underscores are accepted because POSIX-style locales are
/// what many exports contain.
pub fn validate_locale(locale: &str) -> Result<String, &'static str> {
    let locale = locale.trim();
    if locale.is_empty() {
        return Err("locale is empty");
    }
    if locale.len() > MAX_LOCALE_LEN {
        return Err("locale is too long");
    }
    let mut subtags = locale.split(['-', '_']);
    let language = subtags.next().unwrap_or_default();
    if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err("locale must start with a 2 or 3 letter language code");
    }
    let mut out = language.to_ascii_lowercase();
    for subtag in subtags {
        if !(2..=8).contains(&subtag.len()) || !subtag.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("locale subtags must be 2 to 8 letters or digits");
        }
        out.push('-');
        let alphabetic = subtag.bytes().all(|b| b.is_ascii_alphabetic());
        if alphabetic && subtag.len() == 4 {
            // Script, e.g. Hans.
            out.push_str(&subtag[..1].to_ascii_uppercase());
            out.push_str(&subtag[1..].to_ascii_lowercase());
        } else if (alphabetic && subtag.len() == 2) || (subtag.len() == 3 && subtag.bytes().all(|b| b.is_ascii_digit()))
        {
            // Region, e.g. US or 419.
            out.push_str(&subtag.to_ascii_uppercase());
        } else {
            out.push_str(&subtag.to_ascii_lowercase());
        }
    }
    Ok(out)
}

const MAX_TAG_CHARS: usize = 64;

/// Tags are stored lowercased so "Billing" and "billing" are one tag; commas are refused because tag lists are
/// often typed comma-separated.
pub fn validate_tag(tag: &str) -> Result<String, &'static str> {
    let tag = tag.trim().to_lowercase();
    if tag.is_empty() {
        return Err("tag is empty");
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err("tag is longer than 64 characters");
    }
    if tag.chars().any(|c| c.is_whitespace() || matches!(c, ',' | '，' | '、')) {
        return Err("tag must not contain whitespace or commas");
    }
    if tag.chars().any(char::is_control) {
        return Err("tag must not contain control characters");
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    #[test]
    fn enum_names_round_trip() {
        for t in ArticleType::ALL {
            assert_eq!(ArticleType::from_name(t.name()), Some(t));
        }
        for v in Visibility::ALL {
            assert_eq!(Visibility::from_name(v.name()), Some(v));
        }
        for s in ArticleStatus::ALL {
            assert_eq!(ArticleStatus::from_name(s.name()), Some(s));
        }
        assert_eq!(ArticleType::BestPractice.name(), "best_practice");
        assert_eq!(ArticleType::from_name("Best-Practice"), Some(ArticleType::BestPractice));
        assert_eq!(ArticleType::from_name(" FAQ "), Some(ArticleType::Faq));
        assert_eq!(ArticleType::from_name("howto"), None);
        assert_eq!(Visibility::from_name("private"), None);
        assert_eq!(ArticleStatus::from_name("deleted"), None);
    }

    #[test]
    fn allowed_transitions() {
        for (from, to) in [(Draft, Published), (Published, Archived), (Archived, Draft), (Published, Draft)] {
            assert_eq!(transition(from, to), Ok(()), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn same_status_is_rejected() {
        let err = transition(Published, Published).unwrap_err();
        assert_eq!(err.to_string(), "article is already published");
        for s in ArticleStatus::ALL {
            assert_eq!(transition(s, s), Err(TransitionError::Unchanged(s)));
        }
    }

    #[test]
    fn archived_must_be_restored_before_publishing() {
        let err = transition(Archived, Published).unwrap_err();
        assert!(err.to_string().contains("restore it to draft first"), "{err}");
    }

    #[test]
    fn draft_cannot_be_archived() {
        assert_eq!(transition(Draft, Archived), Err(TransitionError::DraftToArchived));
    }

    #[test]
    fn locales_are_normalised() {
        for (input, expected) in [
            ("en", "en"),
            ("en-US", "en-US"),
            ("EN-us", "en-US"),
            ("en_US", "en-US"),
            ("zh-Hans", "zh-Hans"),
            ("zh-hans-cn", "zh-Hans-CN"),
            ("pt-BR", "pt-BR"),
            ("he", "he"),
            ("es-419", "es-419"),
            ("fil", "fil"),
            ("de-CH-1996", "de-CH-1996"),
        ] {
            assert_eq!(validate_locale(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn bad_locales_are_rejected() {
        for input in ["", "  ", "english", "e", "en-", "en--US", "en-U", "en-toolongsub", "e1", "en US", "中文"] {
            assert!(validate_locale(input).is_err(), "{input:?} accepted");
        }
    }

    #[test]
    fn tags_are_trimmed_and_lowercased() {
        assert_eq!(validate_tag("  Billing "), Ok("billing".into()));
        assert_eq!(validate_tag("Возврат"), Ok("возврат".into()));
        assert_eq!(validate_tag("退款"), Ok("退款".into()));
        assert_eq!(validate_tag(&"a".repeat(64)), Ok("a".repeat(64)));
    }

    #[test]
    fn bad_tags_are_rejected() {
        assert_eq!(validate_tag("   "), Err("tag is empty"));
        assert_eq!(validate_tag(&"a".repeat(65)), Err("tag is longer than 64 characters"));
        assert_eq!(validate_tag("two words"), Err("tag must not contain whitespace or commas"));
        assert_eq!(validate_tag("a,b"), Err("tag must not contain whitespace or commas"));
        assert_eq!(validate_tag("a\u{7}b"), Err("tag must not contain control characters"));
    }
}

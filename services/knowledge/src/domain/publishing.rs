//! The publishing workflow: readers (portal callers, search, suggestions) see an article's
//! published text, and only someone who may publish decides what that text is and who reads it.
//!
//! An edit of a published article's text by someone who may not publish it becomes the locale's
//! pending revision; PublishArticle makes it the next version. A publisher's own edit is
//! published at once, as in Zendesk Guide and Guru, where an editor with publishing rights
//! updates a live article in one step: making publishers stage and then approve their own
//! edits would add a click and no review.
use super::{
    article::{ArticleStatus, Visibility},
    model::{Permissions, Verifier},
};

/// Where an edit of an article's text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEdit {
    /// Into the text readers see (a new version when the article is published).
    Live,
    /// Into the locale's pending revision, for a publisher to publish.
    Pending,
}

/// Drafts and archived articles have no readers to protect; a published one does, unless the
/// editor may publish it anyway.
pub fn text_edit(status: ArticleStatus, editor_publishes: bool) -> TextEdit {
    if status == ArticleStatus::Published && !editor_publishes { TextEdit::Pending } else { TextEdit::Live }
}

/// Who reads an article: its visibility and its collection's reader teams.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    pub visibility: Visibility,
    pub permissions: &'a Permissions,
}

/// Whether going from `from` to `to` changes who reads the article (reader teams are compared
/// as sets: their order means nothing).
pub fn audience_changes(from: Audience<'_>, to: Audience<'_>) -> bool {
    let teams = |permissions: &Permissions| {
        let mut teams = permissions.reader_team_ids.clone();
        teams.sort();
        teams.dedup();
        teams
    };
    from.visibility != to.visibility || teams(from.permissions) != teams(to.permissions)
}

/// A verifier that cannot be kept: the field (under `article.`) and what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierProblem {
    pub field: &'static str,
    pub problem: &'static str,
}

/// A person or a team verifies, not both; an interval needs one of them (nobody would be asked
/// to verify, and the article would lapse to unverified unseen).
pub fn validate_verifier(verifier: &Verifier) -> Result<(), VerifierProblem> {
    if !verifier.person_id.is_empty() && !verifier.team_id.is_empty() {
        return Err(VerifierProblem {
            field: "verification.verifier_team_id",
            problem: "set a verifier person or a verifier team, not both",
        });
    }
    if verifier.interval.is_some() && verifier.person_id.is_empty() && verifier.team_id.is_empty() {
        return Err(VerifierProblem {
            field: "verification.interval",
            problem: "needs a verifier: set verification.verifier_person_id or verification.verifier_team_id",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::verification::VerificationInterval;

    #[test]
    fn only_a_published_article_edited_by_a_non_publisher_waits() {
        assert_eq!(text_edit(ArticleStatus::Published, false), TextEdit::Pending);
        assert_eq!(text_edit(ArticleStatus::Published, true), TextEdit::Live);
        for status in [ArticleStatus::Draft, ArticleStatus::Archived] {
            assert_eq!(text_edit(status, false), TextEdit::Live, "{status:?} has no readers to protect");
        }
    }

    #[test]
    fn visibility_and_reader_teams_are_the_audience() {
        let open = Permissions::default();
        let tier2 = Permissions { reader_team_ids: vec!["tier2".into(), "billing".into()], ..Default::default() };
        let same_teams = Permissions {
            reader_team_ids: vec!["billing".into(), "tier2".into()],
            editor_team_ids: vec!["docs".into()],
        };
        let audience = |visibility, permissions| Audience { visibility, permissions };
        assert!(audience_changes(audience(Visibility::Internal, &open), audience(Visibility::Public, &open)));
        assert!(audience_changes(audience(Visibility::Public, &open), audience(Visibility::Public, &tier2)));
        assert!(!audience_changes(audience(Visibility::Public, &tier2), audience(Visibility::Public, &same_teams)));
        assert!(!audience_changes(audience(Visibility::Internal, &open), audience(Visibility::Internal, &open)));
    }

    #[test]
    fn an_interval_needs_exactly_one_verifier() {
        let verifier =
            |person: &str, team: &str, interval| Verifier { person_id: person.into(), team_id: team.into(), interval };
        let monthly = Some(VerificationInterval::Monthly);
        assert_eq!(validate_verifier(&verifier("", "", monthly)).unwrap_err().field, "verification.interval");
        assert_eq!(validate_verifier(&verifier("p", "t", None)).unwrap_err().field, "verification.verifier_team_id");
        assert!(validate_verifier(&verifier("p", "", monthly)).is_ok());
        assert!(validate_verifier(&verifier("", "t", monthly)).is_ok());
        assert!(validate_verifier(&verifier("p", "", None)).is_ok(), "a verifier may wait for an interval");
        assert!(validate_verifier(&Verifier::default()).is_ok());
    }
}

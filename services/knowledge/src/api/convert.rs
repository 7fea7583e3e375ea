//! Between the wire and the domain: enums, records and timestamps.
use chrono::{DateTime, Utc};
use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{ApiError, ApiResult, database::time};

use crate::{
    domain::{
        article::{ArticleStatus, ArticleType, Visibility},
        content::{self, BodyFormat},
        model::{Article, Collection, Deflection, Feedback, Gap, Revision, Rule, Translation, Version},
        verification::{self, RuleTrigger, Standing, VerificationInterval, VerificationState},
    },
    search::Hit,
};

pub fn article_type(value: i32, field: &str) -> ApiResult<ArticleType> {
    Ok(match pb::ArticleType::try_from(value).unwrap_or_default() {
        pb::ArticleType::Faq => ArticleType::Faq,
        pb::ArticleType::Solution => ArticleType::Solution,
        pb::ArticleType::Procedure => ArticleType::Procedure,
        pb::ArticleType::BestPractice => ArticleType::BestPractice,
        pb::ArticleType::Unspecified => {
            return Err(ApiError::invalid(field, "is required: FAQ, SOLUTION, PROCEDURE or BEST_PRACTICE"));
        }
    })
}

pub fn to_article_type(value: ArticleType) -> pb::ArticleType {
    match value {
        ArticleType::Faq => pb::ArticleType::Faq,
        ArticleType::Solution => pb::ArticleType::Solution,
        ArticleType::Procedure => pb::ArticleType::Procedure,
        ArticleType::BestPractice => pb::ArticleType::BestPractice,
    }
}

/// Unspecified visibility is internal: nothing becomes public by omission.
pub fn visibility(value: i32) -> Visibility {
    match pb::Visibility::try_from(value).unwrap_or_default() {
        pb::Visibility::Public => Visibility::Public,
        _ => Visibility::Internal,
    }
}

pub fn to_visibility(value: Visibility) -> pb::Visibility {
    match value {
        Visibility::Internal => pb::Visibility::Internal,
        Visibility::Public => pb::Visibility::Public,
    }
}

pub fn to_status(value: ArticleStatus) -> pb::ArticleStatus {
    match value {
        ArticleStatus::Draft => pb::ArticleStatus::Draft,
        ArticleStatus::Published => pb::ArticleStatus::Published,
        ArticleStatus::Archived => pb::ArticleStatus::Archived,
    }
}

pub fn status(value: pb::ArticleStatus) -> Option<ArticleStatus> {
    match value {
        pb::ArticleStatus::Draft => Some(ArticleStatus::Draft),
        pb::ArticleStatus::Published => Some(ArticleStatus::Published),
        pb::ArticleStatus::Archived => Some(ArticleStatus::Archived),
        pb::ArticleStatus::Unspecified => None,
    }
}

pub fn body_format(value: i32) -> BodyFormat {
    match pb::BodyFormat::try_from(value).unwrap_or_default() {
        pb::BodyFormat::Html => BodyFormat::Html,
        _ => BodyFormat::Markdown,
    }
}

pub fn to_body_format(value: BodyFormat) -> pb::BodyFormat {
    match value {
        BodyFormat::Markdown => pb::BodyFormat::Markdown,
        BodyFormat::Html => pb::BodyFormat::Html,
    }
}

pub fn interval(value: i32) -> Option<VerificationInterval> {
    Some(match pb::VerificationInterval::try_from(value).unwrap_or_default() {
        pb::VerificationInterval::Unspecified => return None,
        pb::VerificationInterval::Weekly => VerificationInterval::Weekly,
        pb::VerificationInterval::Biweekly => VerificationInterval::Biweekly,
        pb::VerificationInterval::Monthly => VerificationInterval::Monthly,
        pb::VerificationInterval::Quarterly => VerificationInterval::Quarterly,
        pb::VerificationInterval::Semiannually => VerificationInterval::Semiannually,
        pb::VerificationInterval::Yearly => VerificationInterval::Yearly,
    })
}

pub fn to_interval(value: Option<VerificationInterval>) -> pb::VerificationInterval {
    match value {
        None => pb::VerificationInterval::Unspecified,
        Some(VerificationInterval::Weekly) => pb::VerificationInterval::Weekly,
        Some(VerificationInterval::Biweekly) => pb::VerificationInterval::Biweekly,
        Some(VerificationInterval::Monthly) => pb::VerificationInterval::Monthly,
        Some(VerificationInterval::Quarterly) => pb::VerificationInterval::Quarterly,
        Some(VerificationInterval::Semiannually) => pb::VerificationInterval::Semiannually,
        Some(VerificationInterval::Yearly) => pb::VerificationInterval::Yearly,
    }
}

pub fn to_standing(value: Standing) -> pb::VerificationStanding {
    match value {
        Standing::Verified => pb::VerificationStanding::Verified,
        Standing::DueSoon => pb::VerificationStanding::DueSoon,
        Standing::Overdue => pb::VerificationStanding::Overdue,
        Standing::Unverified => pb::VerificationStanding::Unverified,
    }
}

pub fn datetime(micros: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default()
}

/// Days before the due time an article counts as due soon.
pub const DUE_SOON_DAYS: i64 = 7;

pub fn standing(article: &Article, now: i64) -> Standing {
    let state = if article.verification.verified { VerificationState::Verified } else { VerificationState::Unverified };
    verification::standing(
        state,
        article.verification.due_at.map(datetime),
        datetime(now),
        chrono::Duration::days(DUE_SOON_DAYS),
    )
}

pub fn collection(collection: &Collection) -> pb::Collection {
    pb::Collection {
        id: collection.id.clone(),
        name: collection.name.clone(),
        description: collection.description.clone(),
        parent_id: collection.parent_id.clone().unwrap_or_default(),
        reader_team_ids: collection.permissions.reader_team_ids.clone(),
        editor_team_ids: collection.permissions.editor_team_ids.clone(),
        external_id: collection.external_id.clone().unwrap_or_default(),
        created_at: Some(time::to_timestamp(collection.created_at)),
        updated_at: Some(time::to_timestamp(collection.updated_at)),
        etag: collection.etag(),
    }
}

/// An article shown in `shown` (one of `translations`), with every locale summarised.
pub fn article(article: &Article, shown: &Translation, translations: &[Translation]) -> pb::Article {
    let now = time::now_micros();
    let source = translations.iter().find(|t| t.locale == article.source_locale).unwrap_or(shown);
    pb::Article {
        id: article.id.clone(),
        external_id: article.external_id.clone().unwrap_or_default(),
        collection_id: article.collection_id.clone(),
        r#type: to_article_type(article.article_type) as i32,
        visibility: to_visibility(article.visibility) as i32,
        status: to_status(article.status) as i32,
        source_locale: article.source_locale.clone(),
        locale: shown.locale.clone(),
        title: shown.title.clone(),
        body: shown.body.clone(),
        body_format: to_body_format(shown.body_format) as i32,
        body_html: shown.body_html.clone(),
        tags: article.tags.clone(),
        owner_id: article.owner_id.clone(),
        verification: Some(pb::Verification {
            verifier_person_id: article.verifier.person_id.clone(),
            verifier_team_id: article.verifier.team_id.clone(),
            interval: to_interval(article.verifier.interval) as i32,
            standing: to_standing(standing(article, now)) as i32,
            verified_by: article.verification.verified_by.clone(),
            verified_at: time::optional_timestamp(article.verification.verified_at),
            due_at: time::optional_timestamp(article.verification.due_at),
            unverified_reason: article.verification.unverified_reason.clone(),
        }),
        translations: translations
            .iter()
            .map(|t| pb::TranslationSummary {
                locale: t.locale.clone(),
                title: t.title.clone(),
                version: t.version,
                outdated: t.outdated(source),
                updated_at: Some(time::to_timestamp(t.updated_at)),
            })
            .collect(),
        version: shown.version,
        helpful_votes: article.helpful_votes,
        not_helpful_votes: article.not_helpful_votes,
        view_count: article.view_count,
        possible_duplicates: Vec::new(),
        author_id: article.author_id.clone(),
        created_at: Some(time::to_timestamp(article.created_at)),
        updated_at: Some(time::to_timestamp(article.updated_at)),
        published_at: time::optional_timestamp(article.published_at),
        etag: article.etag(),
        // Staff only: see `with_pending`.
        pending_revision: None,
        pending_locales: Vec::new(),
    }
}

/// Adds what staff see of pending revisions: every locale that has one, and the text of
/// `locale`'s. Never for portal callers (see `access::reads_drafts`).
pub fn with_pending(mut shown: pb::Article, revisions: &[Revision], locale: &str) -> pb::Article {
    shown.pending_locales = revisions.iter().map(|r| r.locale.clone()).collect();
    shown.pending_revision = revisions.iter().find(|r| r.locale == locale).map(pending_revision);
    shown
}

pub fn pending_revision(revision: &Revision) -> pb::PendingRevision {
    pb::PendingRevision {
        locale: revision.locale.clone(),
        title: revision.title.clone(),
        body: revision.body.clone(),
        body_format: to_body_format(revision.body_format) as i32,
        // Rendered when shown: only staff read pending revisions, and rarely.
        body_html: content::render(&revision.body, revision.body_format).html,
        base_version: revision.base_version,
        note: revision.note.clone(),
        created_by: revision.created_by.clone(),
        created_at: Some(time::to_timestamp(revision.created_at)),
    }
}

/// A pending revision in a version list: version 0, first.
pub fn pending_version(revision: &Revision, tags: &[String]) -> pb::ArticleVersion {
    pb::ArticleVersion {
        article_id: revision.article_id.clone(),
        locale: revision.locale.clone(),
        version: 0,
        title: revision.title.clone(),
        body: revision.body.clone(),
        body_format: to_body_format(revision.body_format) as i32,
        tags: tags.to_vec(),
        created_by: revision.created_by.clone(),
        created_at: Some(time::to_timestamp(revision.created_at)),
        note: format!("pending: {}", revision.note),
        pending: true,
    }
}

pub fn version(version: &Version) -> pb::ArticleVersion {
    pb::ArticleVersion {
        article_id: version.article_id.clone(),
        locale: version.locale.clone(),
        version: version.version,
        title: version.title.clone(),
        body: version.body.clone(),
        body_format: to_body_format(version.body_format) as i32,
        tags: version.tags.clone(),
        created_by: version.created_by.clone(),
        created_at: Some(time::to_timestamp(version.created_at)),
        note: version.note.clone(),
        pending: false,
    }
}

pub fn rule(rule: &Rule) -> pb::VerificationRule {
    let trigger = match &rule.trigger {
        RuleTrigger::NotHelpfulVotes { at_least, within_days } => {
            pb::verification_rule::Trigger::NotHelpfulVotes(pb::NotHelpfulVotes {
                at_least: i32::try_from(*at_least).unwrap_or(i32::MAX),
                within_days: within_days.map_or(0, |days| i32::try_from(days).unwrap_or(i32::MAX)),
            })
        }
        RuleTrigger::TagChanged { tag } => pb::verification_rule::Trigger::TagChanged(tag.clone()),
    };
    pb::VerificationRule {
        id: rule.id.clone(),
        name: rule.name.clone(),
        collection_id: rule.collection_id.clone(),
        trigger: Some(trigger),
        created_at: Some(time::to_timestamp(rule.created_at)),
    }
}

pub fn feedback(feedback: &Feedback) -> pb::Feedback {
    pb::Feedback {
        id: feedback.id.clone(),
        article_id: feedback.article_id.clone(),
        locale: feedback.locale.clone(),
        helpful: feedback.helpful,
        comment: feedback.comment.clone(),
        voter: feedback.voter.clone(),
        ticket_id: feedback.ticket_id.clone(),
        created_at: Some(time::to_timestamp(feedback.created_at)),
    }
}

pub fn deflection(deflection: &Deflection) -> pb::Deflection {
    pb::Deflection {
        ticket_id: deflection.ticket_id.clone(),
        article_id: deflection.article_id.clone(),
        locale: deflection.locale.clone(),
        marked_by: deflection.marked_by.clone(),
        marked_at: Some(time::to_timestamp(deflection.marked_at)),
    }
}

pub fn gap(gap: &Gap) -> pb::KnowledgeGap {
    pb::KnowledgeGap {
        query: gap.query.clone(),
        locale: gap.locale.clone(),
        count: gap.count,
        first_seen_at: Some(time::to_timestamp(gap.first_seen_at)),
        last_seen_at: Some(time::to_timestamp(gap.last_seen_at)),
    }
}

pub fn hit(hit: &Hit) -> pb::SearchResult {
    pb::SearchResult {
        article_id: hit.article_id.clone(),
        locale: hit.locale.clone(),
        title: hit.title.clone(),
        snippet: hit.snippet.clone(),
        score: hit.score,
        collection_id: hit.collection_id.clone(),
        r#type: ArticleType::from_name(&hit.article_type).map_or(0, |t| to_article_type(t) as i32),
        visibility: Visibility::from_name(&hit.visibility).map_or(0, |v| to_visibility(v) as i32),
        status: ArticleStatus::from_name(&hit.status).map_or(0, |s| to_status(s) as i32),
        verification: to_standing(hit.standing) as i32,
        tags: hit.tags.clone(),
    }
}

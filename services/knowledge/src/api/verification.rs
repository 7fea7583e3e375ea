//! Verification: who vouches for an article, the verifier's queue, rules that withdraw trust,
//! and the sweep that unverifies articles whose interval lapsed (once, whichever replica runs it).
use std::time::Duration;

use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::time,
    pagination::{self, Cursor},
};
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use super::{
    KnowledgeApi,
    articles::{Loaded, check_etag, load, view},
    convert,
};
use crate::{
    domain::{
        access,
        article::{self, ArticleStatus},
        model::{Article, Rule},
        verification::RuleTrigger,
    },
    store::{articles, collections, feedback, rules},
};

/// The reason recorded when an interval lapses.
pub const LAPSED: &str = "verification interval lapsed";

impl KnowledgeApi {
    pub(super) async fn verify_article(
        &self,
        principal: &Principal,
        request: pb::VerifyArticleRequest,
    ) -> ApiResult<pb::Article> {
        super::required("article_id", &request.article_id)?;
        let mut transaction = self.db.begin().await?;
        let loaded = load(&mut transaction, &request.article_id).await?;
        access::check_reads_article(principal, &loaded.article, &loaded.permissions)?;
        access::check_verifies(principal, &loaded.article)?;
        check_etag(&request.etag, &loaded.article)?;
        if loaded.article.status == ArticleStatus::Archived {
            return Err(ApiError::FailedPrecondition {
                reason: "ARTICLE_ARCHIVED",
                message: "an archived article cannot be verified; unarchive it first".into(),
            });
        }
        let now = time::now_micros();
        let mut next = loaded.article.touched(now);
        next.verification.verified = true;
        next.verification.verified_by = principal.subject.clone();
        next.verification.verified_at = Some(now);
        next.verification.due_at =
            next.verifier.interval.map(|interval| interval.next_due(convert::datetime(now)).timestamp_micros());
        next.verification.unverified_reason.clear();
        self.store_verification(&mut transaction, principal, &loaded, &next, "article.verified").await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        Ok(view(principal, &next, loaded.source(), &loaded.translations, &loaded.revisions, &next.source_locale))
    }

    pub(super) async fn unverify_article(
        &self,
        principal: &Principal,
        request: pb::UnverifyArticleRequest,
    ) -> ApiResult<pb::Article> {
        super::required("article_id", &request.article_id)?;
        let reason = super::required("reason", &request.reason)?.trim().to_owned();
        let mut transaction = self.db.begin().await?;
        let loaded = load(&mut transaction, &request.article_id).await?;
        access::check_reads_article(principal, &loaded.article, &loaded.permissions)?;
        // Anyone who may write the article may flag it as untrustworthy, as in Guru.
        if access::check_verifies(principal, &loaded.article).is_err() {
            access::check_writes(principal, &loaded.permissions)?;
        }
        let next = unverified(&loaded.article, &reason, time::now_micros());
        self.store_verification(&mut transaction, principal, &loaded, &next, "article.unverified").await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        Ok(view(principal, &next, loaded.source(), &loaded.translations, &loaded.revisions, &next.source_locale))
    }

    async fn store_verification(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        loaded: &Loaded,
        next: &Article,
        event_type: &str,
    ) -> ApiResult<()> {
        if !articles::update(connection, next, loaded.article.revision).await? {
            return Err(ApiError::stale_etag("article", &next.id));
        }
        self.article_event(connection, principal, event_type, next, loaded.source(), &["verification"], 0).await
    }

    pub(super) async fn list_verification_queue(
        &self,
        principal: &Principal,
        request: pb::ListVerificationQueueRequest,
    ) -> ApiResult<pb::ListVerificationQueueResponse> {
        access::check_staff(principal, "read verification queues")?;
        let (person_id, team_id) = match (request.verifier_person_id.trim(), request.verifier_team_id.trim()) {
            ("", "") => (principal.subject.clone(), principal.team_id.clone().unwrap_or_default()),
            (person, "") => (person.to_owned(), String::new()),
            ("", team) => (String::new(), team.to_owned()),
            _ => return Err(ApiError::invalid("verifier_team_id", "ask for a person's queue or a team's, not both")),
        };
        let days = match request.due_within_days {
            0 => 7,
            n if n < 0 => return Err(ApiError::invalid("due_within_days", "must not be negative")),
            n if n > 366 => return Err(ApiError::invalid("due_within_days", "must be at most 366")),
            n => i64::from(n),
        };
        let page_size = pagination::page_size(request.page_size)?;
        let fingerprint = pagination::query_fingerprint(principal, &["queue", &person_id, &team_id, &days.to_string()]);
        let after = pagination::decode_token(&request.page_token, &fingerprint)?.map(|c| c.id).unwrap_or_default();
        let due_before = time::now_micros() + days * 86_400_000_000;
        let mut connection = self.db.reader().acquire().await?;
        let mut page = articles::verification_queue(
            &mut connection,
            &person_id,
            &team_id,
            due_before,
            &after,
            page_size as i64 + 1,
        )
        .await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &fingerprint, |article| Cursor {
            sort_key: String::new(),
            id: article.id.clone(),
        });
        let mut listed = Vec::with_capacity(page.len());
        for article in page {
            let loaded = load(&mut connection, &article.id).await?;
            if access::reads_article(principal, &loaded.article, &loaded.permissions) {
                listed.push(loaded.to_pb(principal, loaded.source()));
            }
        }
        Ok(pb::ListVerificationQueueResponse { articles: listed, next_page_token })
    }

    pub(super) async fn create_verification_rule(
        &self,
        principal: &Principal,
        request: pb::CreateVerificationRuleRequest,
    ) -> ApiResult<pb::VerificationRule> {
        access::check_administers(principal, "create verification rules")?;
        let given = request.rule.ok_or_else(|| ApiError::invalid("rule", "is required"))?;
        let name = super::required("rule.name", &given.name)?.trim().to_owned();
        let trigger = match given.trigger {
            Some(pb::verification_rule::Trigger::NotHelpfulVotes(votes)) => {
                if votes.at_least < 1 {
                    return Err(ApiError::invalid("rule.not_helpful_votes.at_least", "must be at least 1"));
                }
                if votes.within_days < 0 {
                    return Err(ApiError::invalid("rule.not_helpful_votes.within_days", "must not be negative"));
                }
                RuleTrigger::NotHelpfulVotes {
                    at_least: votes.at_least as u32,
                    within_days: (votes.within_days > 0).then_some(votes.within_days as u32),
                }
            }
            Some(pb::verification_rule::Trigger::TagChanged(tag)) => RuleTrigger::TagChanged {
                tag: article::validate_tag(&tag).map_err(|problem| ApiError::invalid("rule.tag_changed", problem))?,
            },
            None => return Err(ApiError::invalid("rule.trigger", "is required: not_helpful_votes or tag_changed")),
        };
        let collection_id = given.collection_id.trim().to_owned();
        let mut transaction = self.db.begin().await?;
        if !collection_id.is_empty() && collections::get(&mut transaction, &collection_id).await?.is_none() {
            return Err(ApiError::invalid("rule.collection_id", format!("no collection {collection_id}")));
        }
        let rule =
            Rule { id: uuid::Uuid::now_v7().to_string(), name, collection_id, trigger, created_at: time::now_micros() };
        rules::insert(&mut transaction, &rule).await?;
        transaction.commit().await?;
        Ok(convert::rule(&rule))
    }

    pub(super) async fn list_verification_rules(
        &self,
        principal: &Principal,
        _request: pb::ListVerificationRulesRequest,
    ) -> ApiResult<pb::ListVerificationRulesResponse> {
        access::check_staff(principal, "read verification rules")?;
        let mut connection = self.db.reader().acquire().await?;
        let rules = rules::all(&mut connection).await?;
        Ok(pb::ListVerificationRulesResponse { rules: rules.iter().map(convert::rule).collect() })
    }

    pub(super) async fn delete_verification_rule(
        &self,
        principal: &Principal,
        request: pb::DeleteVerificationRuleRequest,
    ) -> ApiResult<pb::DeleteVerificationRuleResponse> {
        access::check_administers(principal, "delete verification rules")?;
        super::required("id", &request.id)?;
        let mut transaction = self.db.begin().await?;
        if !rules::delete(&mut transaction, &request.id).await? {
            return Err(ApiError::not_found("verification rule", &request.id));
        }
        transaction.commit().await?;
        Ok(pb::DeleteVerificationRuleResponse {})
    }

    pub(super) async fn report_tag_change(
        &self,
        principal: &Principal,
        request: pb::ReportTagChangeRequest,
    ) -> ApiResult<pb::ReportTagChangeResponse> {
        if principal.role != Role::Service {
            access::check_administers(principal, "report tag changes")?;
        }
        super::required("tag", &request.tag)?;
        let tag = article::validate_tag(&request.tag).map_err(|problem| ApiError::invalid("tag", problem))?;
        let mut transaction = self.db.begin().await?;
        let firing: Vec<Rule> =
            rules::all(&mut transaction).await?.into_iter().filter(|rule| rule.trigger.fires_on_tag(&tag)).collect();
        let mut unverified_ids = Vec::new();
        if !firing.is_empty() {
            let now = time::now_micros();
            for id in articles::ids_with_tag(&mut transaction, &tag).await? {
                let loaded = load(&mut transaction, &id).await?;
                let Some(rule) = self.rule_in_scope(&mut transaction, &firing, &loaded.article).await? else {
                    continue;
                };
                if !loaded.article.verification.verified {
                    continue;
                }
                let mut reason = rule.name.clone();
                if !request.note.trim().is_empty() {
                    reason = format!("{reason}: {}", request.note.trim());
                }
                let next = unverified(&loaded.article, &reason, now);
                self.store_verification(&mut transaction, principal, &loaded, &next, "article.unverified").await?;
                unverified_ids.push(id);
            }
        }
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(&unverified_ids).await;
        Ok(pb::ReportTagChangeResponse { unverified_article_ids: unverified_ids })
    }

    /// The first of `rules` whose collection scope covers `article`.
    async fn rule_in_scope<'r>(
        &self,
        connection: &mut AnyConnection,
        rules: &'r [Rule],
        article: &Article,
    ) -> ApiResult<Option<&'r Rule>> {
        let mut tree = vec![article.collection_id.clone()];
        if let Some(collection) = collections::get(connection, &article.collection_id).await?
            && let Some(parent) = collection.parent_id
        {
            tree.push(parent);
        }
        Ok(rules.iter().find(|rule| rule.collection_id.is_empty() || tree.contains(&rule.collection_id)))
    }

    /// Vote rules, checked after a not-helpful vote inside its transaction; the article
    /// returned is the unverified one to store, if a rule fired.
    pub(super) async fn vote_rules_fire(
        &self,
        connection: &mut AnyConnection,
        article: &Article,
        now: i64,
    ) -> ApiResult<Option<String>> {
        if !article.verification.verified {
            return Ok(None);
        }
        let vote_rules: Vec<Rule> = rules::all(connection)
            .await?
            .into_iter()
            .filter(|rule| matches!(rule.trigger, RuleTrigger::NotHelpfulVotes { .. }))
            .collect();
        for rule in &vote_rules {
            if self.rule_in_scope(connection, std::slice::from_ref(rule), article).await?.is_none() {
                continue;
            }
            // Votes count since the later of the window start and the last verification:
            // re-verifying an article wipes the slate.
            let window = rule.trigger.vote_window_start(convert::datetime(now)).map(|start| start.timestamp_micros());
            let since = window.unwrap_or(0).max(article.verification.verified_at.unwrap_or(0));
            let votes = feedback::not_helpful_since(connection, &article.id, since).await?;
            if rule.trigger.fires_on_votes(u32::try_from(votes).unwrap_or(u32::MAX)) {
                return Ok(Some(rule.name.clone()));
            }
        }
        Ok(None)
    }

    /// Unverifies articles whose interval lapsed, every `interval`, until shutdown.
    pub async fn run_verification_sweeper(self, interval: Duration, shutdown: CancellationToken) {
        loop {
            match self.sweep_lapsed().await {
                Ok(swept) if swept > 0 => tracing::info!(swept, "articles unverified: their verification lapsed"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "checking verification intervals failed; retrying"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }

    /// One sweep. Each article is unverified under its revision: when replicas sweep at once,
    /// one update wins and only it writes the event.
    pub async fn sweep_lapsed(&self) -> ApiResult<usize> {
        let system = Principal::new("service:knowledge", Role::Service, None);
        let now = time::now_micros();
        let due = articles::lapsed(&mut *self.db.reader().acquire().await?, now, 200).await?;
        let mut swept = Vec::new();
        for article in due {
            let mut transaction = self.db.begin().await?;
            let loaded = load(&mut transaction, &article.id).await?;
            if loaded.article.revision != article.revision {
                continue;
            }
            let next = unverified(&loaded.article, LAPSED, now);
            match self.store_verification(&mut transaction, &system, &loaded, &next, "article.unverified").await {
                Ok(()) => {
                    transaction.commit().await?;
                    swept.push(article.id);
                }
                Err(ApiError::Aborted { .. }) => continue,
                Err(error) => return Err(error),
            }
        }
        if !swept.is_empty() {
            self.feed.committed();
            self.reindex(&swept).await;
        }
        Ok(swept.len())
    }
}

/// The article unverified for `reason` at `now`.
pub(super) fn unverified(article: &Article, reason: &str, now: i64) -> Article {
    let mut next = article.touched(now);
    next.verification.verified = false;
    next.verification.unverified_reason = reason.to_owned();
    next
}

//! Votes (which may open a ticket for the owner and fire vote rules), views and knowledge gaps.
use frontline_proto::limits::knowledge as limits;
use frontline_proto::{
    knowledge::v1 as pb,
    ticketing::v1::{self as ticketing_pb, CreateTicketRequest},
};
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::time,
    feed::{self, NewEvent},
    pagination::{self, Cursor},
    peers,
};

use super::{KnowledgeApi, articles::load_readable, convert, verification::unverified};
use crate::{
    domain::model::Feedback,
    store::{articles, feedback},
};

const MAX_COMMENT_CHARS: usize = limits::RECORD_FEEDBACK_REQUEST_COMMENT_MAX_CHARS;

/// The ticketing customer (by external id) that tickets opened from reader feedback come from.
const FEEDBACK_REQUESTER: &str = "frontline-knowledge-readers";

impl KnowledgeApi {
    pub(super) async fn record_feedback(
        &self,
        principal: &Principal,
        request: pb::RecordFeedbackRequest,
    ) -> ApiResult<pb::Feedback> {
        let comment = request.comment.trim().to_owned();
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(ApiError::invalid("comment", format!("must be at most {MAX_COMMENT_CHARS} characters")));
        }
        if request.open_ticket && (request.helpful || comment.is_empty()) {
            return Err(ApiError::invalid("open_ticket", "applies to a not-helpful vote with a comment"));
        }
        let now = time::now_micros();
        let mut transaction = self.db.begin().await?;
        let loaded = load_readable(&mut transaction, principal, &request.article_id).await?;
        let locale = loaded.shown(&request.locale)?.locale.clone();
        let mut entry = Feedback {
            id: uuid::Uuid::now_v7().to_string(),
            article_id: loaded.article.id.clone(),
            locale,
            helpful: request.helpful,
            comment,
            voter: principal.subject.clone(),
            ticket_id: String::new(),
            created_at: now,
        };
        feedback::insert(&mut transaction, &entry).await?;
        let (helpful, not_helpful) = if entry.helpful { (1, 0) } else { (0, 1) };
        articles::add_votes(&mut transaction, &entry.article_id, helpful, not_helpful).await?;
        self.feedback_event(&mut transaction, principal, &entry).await?;
        let mut unverified_now = false;
        if !entry.helpful
            && let Some(rule) = self.vote_rules_fire(&mut transaction, &loaded.article, now).await?
        {
            let next = unverified(&loaded.article, &rule, now);
            if articles::update(&mut transaction, &next, loaded.article.revision).await? {
                self.article_event(
                    &mut transaction,
                    principal,
                    "article.unverified",
                    &next,
                    loaded.source(),
                    &["verification"],
                    0,
                )
                .await?;
                unverified_now = true;
            }
        }
        transaction.commit().await?;
        self.feed.committed();
        if unverified_now {
            self.reindex(std::slice::from_ref(&entry.article_id)).await;
        }
        if request.open_ticket {
            // The vote stands whatever ticketing says; the ticket is best effort and recorded.
            if let Some(ticket_id) =
                self.open_feedback_ticket(&loaded.article.owner_id, loaded.source().title.as_str(), &entry).await
            {
                let mut transaction = self.db.begin().await?;
                feedback::set_ticket(&mut transaction, &entry.id, &ticket_id).await?;
                entry.ticket_id = ticket_id;
                self.feedback_event(&mut transaction, principal, &entry).await?;
                transaction.commit().await?;
                self.feed.committed();
            }
        }
        Ok(convert::feedback(&entry))
    }

    async fn feedback_event(
        &self,
        connection: &mut sqlx::AnyConnection,
        principal: &Principal,
        entry: &Feedback,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type: "article.feedback",
                aggregate_type: "article",
                aggregate_id: &entry.article_id,
                actor: &principal.subject,
                payload: &pb::FeedbackRecorded { feedback: Some(convert::feedback(entry)) },
            },
        )
        .await?;
        Ok(())
    }

    /// Opens a ticket for the article's owner about a not-helpful vote; None (logged) when
    /// ticketing is not reachable or refuses.
    async fn open_feedback_ticket(&self, owner_id: &str, title: &str, entry: &Feedback) -> Option<String> {
        let mut ticketing = self.ticketing.clone()?;
        // Readers' feedback arrives on behalf of one well-known requester, upserted by its
        // external id so every replica agrees on it.
        let requester = ticketing
            .upsert_customer(peers::as_this_service(ticketing_pb::UpsertCustomerRequest {
                customer: Some(ticketing_pb::Customer {
                    external_id: FEEDBACK_REQUESTER.into(),
                    name: "Knowledge base readers".into(),
                    ..Default::default()
                }),
            }))
            .await;
        let requester_id = match requester {
            Ok(response) => response.into_inner().customer.map(|c| c.id).unwrap_or_default(),
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), "could not record the feedback requester in ticketing");
                return None;
            }
        };
        let ticket = ticketing_pb::Ticket {
            requester_id,
            subject: format!("Article feedback: {title}"),
            description: format!(
                "A reader found the article \"{title}\" ({}, {}) not helpful:\n\n{}",
                entry.article_id, entry.locale, entry.comment
            ),
            r#type: ticketing_pb::TicketType::Task as i32,
            channel: ticketing_pb::Channel::Api as i32,
            priority: ticketing_pb::Priority::Normal as i32,
            assignee_id: owner_id.to_owned(),
            tags: vec!["knowledge-feedback".into()],
            locale: entry.locale.clone(),
            ..Default::default()
        };
        let request =
            CreateTicketRequest { ticket: Some(ticket), request_id: format!("knowledge-feedback-{}", entry.id) };
        match ticketing.create_ticket(peers::as_this_service(request)).await {
            Ok(response) => Some(response.into_inner().id),
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), feedback = %entry.id, "could not open a ticket for article feedback");
                None
            }
        }
    }

    pub(super) async fn record_view(
        &self,
        principal: &Principal,
        request: pb::RecordViewRequest,
    ) -> ApiResult<pb::RecordViewResponse> {
        let mut transaction = self.db.begin().await?;
        let loaded = load_readable(&mut transaction, principal, &request.article_id).await?;
        let locale = loaded.shown(&request.locale)?.locale.clone();
        let view_count = articles::add_view(&mut transaction, &loaded.article.id).await?;
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "article.viewed",
                aggregate_type: "article",
                aggregate_id: &loaded.article.id,
                actor: &principal.subject,
                payload: &pb::ArticleViewed { article_id: loaded.article.id.clone(), locale, view_count },
            },
        )
        .await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(pb::RecordViewResponse { view_count })
    }

    pub(super) async fn list_knowledge_gaps(
        &self,
        principal: &Principal,
        request: pb::ListKnowledgeGapsRequest,
    ) -> ApiResult<pb::ListKnowledgeGapsResponse> {
        crate::domain::access::check_staff(principal, "read knowledge gaps")?;
        let locale = if request.locale.trim().is_empty() {
            String::new()
        } else {
            crate::domain::article::validate_locale(request.locale.trim())
                .map_err(|problem| ApiError::invalid("locale", problem))?
        };
        let since = match &request.since {
            Some(since) => time::from_timestamp(since).ok_or_else(|| ApiError::invalid("since", "is out of range"))?,
            None => 0,
        };
        let page_size = pagination::page_size(request.page_size)?;
        let fingerprint = pagination::query_fingerprint(principal, &["gaps", &locale, &since.to_string()]);
        let after = match pagination::decode_token(&request.page_token, &fingerprint)? {
            Some(cursor) => {
                let (count, query) = cursor
                    .sort_key
                    .split_once('\u{1f}')
                    .ok_or_else(|| ApiError::invalid("page_token", "is damaged"))?;
                let count = count.parse().map_err(|_| ApiError::invalid("page_token", "is damaged"))?;
                Some((count, query.to_owned(), cursor.id))
            }
            None => None,
        };
        // What this replica gathered so far is written first, so a gap shows up at once.
        self.search_log.flush(&self.feed).await.map_err(ApiError::Internal)?;
        let mut connection = self.db.reader().acquire().await?;
        let mut page = feedback::gaps(&mut connection, &locale, since, after, page_size as i64 + 1).await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &fingerprint, |gap| Cursor {
            sort_key: format!("{}\u{1f}{}", gap.count, gap.query),
            id: gap.locale.clone(),
        });
        Ok(pb::ListKnowledgeGapsResponse { gaps: page.iter().map(convert::gap).collect(), next_page_token })
    }
}

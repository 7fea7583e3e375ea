//! Article suggestions for new tickets: after a ticket commits, knowledge is asked (with a
//! deadline) for the articles that answer it. This never holds up ticket creation: it runs in
//! the background, and when knowledge is slow or down the ticket simply has no suggestions and
//! the feed records why.
//!
//! What knowledge answers is recorded in batches: one transaction (and one fsync) for the
//! suggestions of every ticket answered meanwhile, so that under load a new ticket costs one
//! commit, its own, and not a second one for its suggestions.
//!
//! No caller is behind that background call, so ticketing asks as itself and may be given
//! articles some readers must not see (internal ones, other teams' collections). What is stored
//! is therefore never shown as it is: each reader's GetTicket asks knowledge, on the reader's
//! behalf, which of the stored articles the reader may read.
use std::{collections::HashSet, time::Duration};

use frontline_proto::{
    knowledge::v1::{
        ListReadableArticlesRequest, SuggestArticlesRequest, knowledge_service_client::KnowledgeServiceClient,
    },
    ticketing::v1 as pb,
};
use frontline_shared::{
    ApiResult,
    auth::Principal,
    feed::{self, NewEvent},
    peers::{self, PeerChannel},
};
use sqlx::AnyConnection;
use tokio::sync::mpsc;
use tracing::Instrument;

use super::TicketingApi;
use crate::{domain::ticket::Ticket, store::suggestions};

/// How many articles a ticket is offered.
const SUGGESTIONS: i32 = 3;
/// How long a GetTicket waits for knowledge to say which suggestions its reader may see; the
/// ticket is served without them after that.
const READABLE_CHECK_DEADLINE: Duration = Duration::from_secs(1);

/// Tickets' suggestions recorded per transaction at most.
const RECORD_BATCH: usize = 256;
/// Answers waiting to be recorded; past this, asking knowledge waits for the recorder.
const RECORD_QUEUE: usize = 4_096;

pub type KnowledgeClient = KnowledgeServiceClient<PeerChannel>;

/// What knowledge answered for a ticket: its suggestions, or why there are none.
type Answer = (i64, Result<Vec<pb::SuggestedArticle>, String>);

/// Knowledge, and the queue to the task that records its answers.
#[derive(Clone)]
pub struct Suggester {
    knowledge: KnowledgeClient,
    answers: mpsc::Sender<Answer>,
}

impl Suggester {
    /// Starts recording answers with `api`'s database, until the last sender is dropped.
    pub(super) fn start(api: TicketingApi, channel: PeerChannel) -> Self {
        let (answers, mut queue) = mpsc::channel::<Answer>(RECORD_QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(RECORD_BATCH);
            while queue.recv_many(&mut batch, RECORD_BATCH).await > 0 {
                let count = batch.len();
                if let Err(error) = api.record_suggestions(std::mem::take(&mut batch)).await {
                    tracing::warn!(tickets = count, %error, "could not record article suggestions");
                }
            }
        });
        Self { knowledge: KnowledgeClient::new(channel), answers }
    }
}

impl TicketingApi {
    /// Asks knowledge for suggestions in the background; returns at once.
    pub(super) fn suggest_for(&self, ticket: &Ticket) {
        let Some(suggester) = self.knowledge.clone() else { return };
        let api = self.clone();
        let request = SuggestArticlesRequest {
            subject: ticket.subject.clone(),
            description: ticket.description.clone(),
            locale: ticket.locale.clone(),
            max_results: SUGGESTIONS,
            ..Default::default()
        };
        let ticket_id = ticket.id;
        // The background work stays in the creating call's trace.
        let span = tracing::info_span!("ticket.suggest_articles", ticket.id = ticket_id);
        tokio::spawn(
            async move {
                let outcome = api.fetch_suggestions(suggester.knowledge, request).await;
                // Only a stopping server has closed the queue; the ticket then has no suggestions.
                let _ = suggester.answers.send((ticket_id, outcome)).await;
            }
            .instrument(span),
        );
    }

    /// The stored suggestions `reader` may read, in their order. When knowledge cannot say (it is
    /// absent, slow or down), none are shown: failing closed costs a convenience, failing open
    /// would show internal titles to customers.
    pub(super) async fn readable_suggestions(
        &self,
        reader: &Principal,
        stored: Vec<pb::SuggestedArticle>,
    ) -> Vec<pb::SuggestedArticle> {
        if stored.is_empty() {
            return stored;
        }
        let Some(mut knowledge) = self.knowledge.as_ref().map(|s| s.knowledge.clone()) else { return Vec::new() };
        let request = ListReadableArticlesRequest {
            ids: stored.iter().map(|suggestion| suggestion.article_id.clone()).collect(),
            locale: String::new(),
        };
        let call = knowledge.list_readable_articles(peers::for_caller(reader, request));
        match peers::answer("knowledge", READABLE_CHECK_DEADLINE, call).await {
            Ok(readable) => {
                let readable: HashSet<String> =
                    readable.articles.into_iter().map(|article| article.article_id).collect();
                stored.into_iter().filter(|suggestion| readable.contains(&suggestion.article_id)).collect()
            }
            Err(error) => {
                tracing::info!(%error, "ticket served without its suggestions: knowledge could not say which the reader may see");
                Vec::new()
            }
        }
    }

    async fn fetch_suggestions(
        &self,
        mut knowledge: KnowledgeClient,
        request: SuggestArticlesRequest,
    ) -> Result<Vec<pb::SuggestedArticle>, String> {
        match knowledge.suggest_articles(peers::as_this_service(request)).await {
            Ok(response) => Ok(response
                .into_inner()
                .suggestions
                .into_iter()
                .map(|s| pb::SuggestedArticle { article_id: s.article_id, title: s.title, locale: s.locale })
                .collect()),
            Err(status) => Err(format!("knowledge did not answer ({:?}): {}", status.code(), status.message())),
        }
    }

    /// Records each ticket's suggestions (or why there are none) with its feed event, all in
    /// one transaction; a ticket whose record fails is left out alone (a savepoint each).
    async fn record_suggestions(&self, answers: Vec<Answer>) -> ApiResult<()> {
        let mut transaction = self.db.begin().await?;
        for (ticket_id, outcome) in answers {
            let mut savepoint = sqlx::Connection::begin(&mut *transaction).await?;
            match record_answer(&mut savepoint, ticket_id, outcome).await {
                Ok(()) => savepoint.commit().await?,
                Err(error) => {
                    tracing::warn!(ticket = ticket_id, %error, "could not record article suggestions");
                    savepoint.rollback().await?;
                }
            }
        }
        transaction.commit().await?;
        self.committed();
        Ok(())
    }
}

async fn record_answer(
    connection: &mut AnyConnection,
    ticket_id: i64,
    outcome: Result<Vec<pb::SuggestedArticle>, String>,
) -> ApiResult<()> {
    let (event_type, payload) = match outcome {
        Ok(found) => {
            suggestions::replace(&mut *connection, ticket_id, &found).await?;
            (
                "ticket.suggestions_attached",
                pb::TicketSuggestions {
                    ticket_id: ticket_id.to_string(),
                    suggestions: found,
                    unavailable_reason: String::new(),
                },
            )
        }
        Err(reason) => {
            tracing::warn!(ticket = ticket_id, %reason, "ticket created without article suggestions");
            (
                "ticket.suggestions_unavailable",
                pb::TicketSuggestions {
                    ticket_id: ticket_id.to_string(),
                    suggestions: Vec::new(),
                    unavailable_reason: reason,
                },
            )
        }
    };
    feed::append(
        connection,
        NewEvent {
            event_type,
            aggregate_type: "ticket",
            aggregate_id: &ticket_id.to_string(),
            actor: "service:ticketing",
            payload: &payload,
        },
    )
    .await?;
    Ok(())
}

//! Search, ticket suggestions, deflections, near-duplicates and index rebuilds.
use frontline_proto::limits::knowledge as limits;
use frontline_proto::{
    knowledge::v1 as pb,
    ticketing::v1::{GetTicketRequest, Ticket},
};
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::time,
    feed::{self, NewEvent},
    pagination, peers,
};
use futures::stream::BoxStream;
use tonic::Status;

use super::{KnowledgeApi, articles::load_readable, convert};
use crate::{
    domain::{
        access,
        article::{self, ArticleStatus},
        model::{Deflection, Translation},
        similarity,
    },
    search::{
        Audience, Filters, Hit, analysis,
        query::{self, Clause, UserQuery},
    },
    store::feedback,
};

/// Suggestions and duplicates look at this many candidates before scoring them.
const CANDIDATES: usize = 20;
/// ListReadableArticles answers for a page of references at a time.
const MAX_READABLE_IDS: usize = limits::LIST_READABLE_ARTICLES_REQUEST_IDS_MAX_ITEMS;
/// How deep a search pages: the first 1,000 results, as web search engines stop too. The
/// total is still counted exactly; a narrower query reaches the rest.
pub const MAX_SEARCH_DEPTH: usize = 1000;
/// A duplicate at or above this similarity is reported on create.
pub const DEFAULT_MIN_SIMILARITY: f64 = 0.5;
/// Long ticket texts are cut to this many words: the first ones carry the subject.
const MAX_SUGGESTION_WORDS: usize = 64;

fn audience(principal: &Principal) -> ApiResult<Audience> {
    match principal.role {
        Role::Administrator | Role::Manager | Role::Director | Role::Service | Role::BiReader => {
            Ok(Audience::Everything)
        }
        role if role.reads_as_customer() => Ok(Audience::Public),
        role if role.is_staff() => Ok(Audience::Staff { team_id: principal.team_id.clone() }),
        role => Err(ApiError::permission_denied(format!("the {role} role may not search the knowledge base"))),
    }
}

fn locales(field: &str, given: &[String]) -> ApiResult<Vec<String>> {
    given
        .iter()
        .enumerate()
        .map(|(index, locale)| {
            article::validate_locale(locale.trim())
                .map_err(|problem| ApiError::invalid(format!("{field}[{index}]"), problem))
        })
        .collect()
}

/// Free text (a ticket's words) as a query: every word a ranked alternative, no operators.
fn free_text(text: &str) -> UserQuery {
    let clauses = text
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| c == '"' || c == '-' || c == '“' || c == '”'))
        .filter(|word| !word.is_empty())
        .take(MAX_SUGGESTION_WORDS)
        .map(|word| Clause { text: word.to_owned(), phrase: false, excluded: false })
        .collect();
    UserQuery { clauses }
}

impl KnowledgeApi {
    pub(super) async fn search_articles(
        &self,
        principal: &Principal,
        request: pb::SearchArticlesRequest,
    ) -> ApiResult<pb::SearchArticlesResponse> {
        let audience = audience(principal)?;
        let parsed = query::parse_search_box(&request.query)?;
        let mut filters = Filters {
            locales: locales("locales", &request.locales)?,
            collection_id: Some(request.collection_id.trim().to_owned()).filter(|c| !c.is_empty()),
            ..Filters::default()
        };
        for (index, tag) in request.tags.iter().enumerate() {
            filters.tags.push(article::validate_tag(tag).map_err(|p| ApiError::invalid(format!("tags[{index}]"), p))?);
        }
        for (index, value) in request.types.iter().enumerate() {
            let kind = convert::article_type(*value, &format!("types[{index}]"))?;
            filters.types.push(kind.name());
        }
        for (index, value) in request.statuses.iter().enumerate() {
            let status = convert::status(pb::ArticleStatus::try_from(*value).unwrap_or_default())
                .ok_or_else(|| ApiError::invalid(format!("statuses[{index}]"), "is not a status"))?;
            if status != ArticleStatus::Published && !access::is_staff_reader(principal) {
                return Err(ApiError::permission_denied("only staff search drafts and archived articles"));
            }
            filters.statuses.push(status.name());
        }
        filters.visibility = match pb::Visibility::try_from(request.visibility).unwrap_or_default() {
            pb::Visibility::Unspecified => None,
            other => Some(convert::visibility(other as i32).name()),
        };
        let page_size = pagination::page_size_within(request.page_size, 10, 50)?;
        let fingerprint = pagination::query_fingerprint(
            principal,
            &["search", &request.query, &format!("{:?}", filters), &format!("{:?}", request.statuses)],
        );
        let offset = pagination::decode_offset_token(&request.page_token, &fingerprint, MAX_SEARCH_DEPTH)?;
        let found = self.index.search(parsed, filters.clone(), audience, offset, page_size).await?;
        // Only first pages count as searches: paging through results is one search.
        if offset == 0 {
            let locale = if filters.locales.len() == 1 { filters.locales[0].as_str() } else { "" };
            self.search_log.record(locale, &request.query, found.total > 0);
        }
        let next = offset + found.hits.len();
        // Pages stop at a fixed depth: the index collects offset + page_size hits to skip the
        // first `offset`, so an unbounded offset is unbounded memory.
        let next_page_token = if next < found.total && next < MAX_SEARCH_DEPTH {
            pagination::encode_offset_token(&fingerprint, next)
        } else {
            String::new()
        };
        Ok(pb::SearchArticlesResponse {
            results: found.hits.iter().map(convert::hit).collect(),
            total_size: i32::try_from(found.total).unwrap_or(i32::MAX),
            next_page_token,
        })
    }

    pub(super) async fn suggest_articles(
        &self,
        principal: &Principal,
        request: pb::SuggestArticlesRequest,
    ) -> ApiResult<pb::SuggestArticlesResponse> {
        let mut audience = audience(principal)?;
        if request.public_only {
            audience = Audience::Public;
        }
        let max = match request.max_results {
            0 => 5,
            n if n < 0 => return Err(ApiError::invalid("max_results", "must not be negative")),
            n => (n as usize).min(20),
        };
        let (subject, description, ticket_locale) = if request.ticket_id.trim().is_empty() {
            if request.subject.trim().is_empty() && request.description.trim().is_empty() {
                return Err(ApiError::invalid("subject", "give a ticket_id, or a subject or description"));
            }
            (request.subject, request.description, String::new())
        } else {
            let ticket = self.read_ticket(principal, request.ticket_id.trim()).await?;
            (ticket.subject, ticket.description, ticket.locale)
        };
        let locale = if request.locale.trim().is_empty() { ticket_locale } else { request.locale };
        let locales = if locale.trim().is_empty() { Vec::new() } else { locales("locale", &[locale])? };
        let text = format!("{subject} {description}");
        let hits = self.suggest(&text, &locales, audience, max).await?;
        Ok(pb::SuggestArticlesResponse { suggestions: hits.iter().map(convert::hit).collect() })
    }

    /// Published articles ranked for `text`; the requester's locale first, others to fill up.
    pub(super) async fn suggest(
        &self,
        text: &str,
        locales: &[String],
        audience: Audience,
        max: usize,
    ) -> ApiResult<Vec<Hit>> {
        let query = free_text(text);
        if !query.has_positive() {
            return Ok(Vec::new());
        }
        let search = |locales: Vec<String>| {
            let filters = Filters { locales, exact_words_only: true, ..Filters::default() };
            self.index.search(query.clone(), filters, audience.clone(), 0, max)
        };
        let mut hits = search(locales.to_vec()).await?.hits;
        if hits.len() < max && !locales.is_empty() {
            for hit in search(Vec::new()).await?.hits {
                if hits.len() < max && !hits.iter().any(|h| h.article_id == hit.article_id) {
                    hits.push(hit);
                }
            }
        }
        Ok(hits)
    }

    /// A ticket, read from ticketing on the caller's behalf: ticketing decides with the caller's
    /// rights, so another team's ticket is NOT_FOUND here exactly as it is there.
    async fn read_ticket(&self, principal: &Principal, ticket_id: &str) -> ApiResult<Ticket> {
        if !access::is_staff_reader(principal) {
            return Err(ApiError::permission_denied("only staff name tickets to knowledge"));
        }
        let Some(mut ticketing) = self.ticketing.clone() else {
            return Err(ApiError::FailedPrecondition {
                reason: "TICKETING_UNREACHABLE",
                message: "this knowledge service does not reach ticketing (peers.ticketing), so it cannot read ticket ids; send the text instead".into(),
            });
        };
        match ticketing.get_ticket(peers::for_caller(principal, GetTicketRequest { id: ticket_id.to_owned() })).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) if status.code() == tonic::Code::NotFound => Err(ApiError::not_found("ticket", ticket_id)),
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                Err(ApiError::invalid("ticket_id", format!("`{ticket_id}` is not a ticket number")))
            }
            Err(status) => {
                Err(ApiError::Unavailable { message: format!("ticketing did not answer: {}", status.message()) })
            }
        }
    }

    pub(super) async fn mark_suggestion_solved(
        &self,
        principal: &Principal,
        request: pb::MarkSuggestionSolvedRequest,
    ) -> ApiResult<pb::Deflection> {
        if !(access::is_staff_reader(principal) && principal.role != Role::BiReader) {
            return Err(ApiError::permission_denied(format!("the {} role may not record deflections", principal.role)));
        }
        let ticket_id = super::required("ticket_id", &request.ticket_id)?.trim().to_owned();
        // The ticket must exist and be the caller's to see: a deflection is a claim about it.
        let ticket_id = self.read_ticket(principal, &ticket_id).await?.id;
        let mut transaction = self.db.begin().await?;
        let loaded = load_readable(&mut transaction, principal, &request.article_id).await?;
        let locale = loaded.shown(&request.locale)?.locale.clone();
        if let Some(existing) = feedback::deflection(&mut transaction, &ticket_id, &loaded.article.id).await? {
            return Ok(convert::deflection(&existing));
        }
        let deflection = Deflection {
            ticket_id,
            article_id: loaded.article.id.clone(),
            locale,
            marked_by: principal.subject.clone(),
            marked_at: time::now_micros(),
        };
        feedback::insert_deflection(&mut transaction, &deflection).await?;
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "article.deflected",
                aggregate_type: "article",
                aggregate_id: &deflection.article_id,
                actor: &principal.subject,
                payload: &pb::DeflectionRecorded { deflection: Some(convert::deflection(&deflection)) },
            },
        )
        .await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::deflection(&deflection))
    }

    pub(super) async fn list_readable_articles(
        &self,
        principal: &Principal,
        request: pb::ListReadableArticlesRequest,
    ) -> ApiResult<pb::ListReadableArticlesResponse> {
        access::check_reader(principal)?;
        if request.ids.len() > MAX_READABLE_IDS {
            return Err(ApiError::invalid("ids", format!("at most {MAX_READABLE_IDS} ids")));
        }
        if let Some(blank) = request.ids.iter().position(|id| id.trim().is_empty()) {
            return Err(ApiError::invalid(format!("ids[{blank}]"), "must not be empty"));
        }
        let mut connection = self.db.reader().acquire().await?;
        let mut articles = Vec::with_capacity(request.ids.len());
        for id in &request.ids {
            let loaded = match load_readable(&mut connection, principal, id).await {
                Ok(loaded) => loaded,
                // Unreadable and missing look the same (load_readable answers NOT_FOUND for both).
                Err(ApiError::NotFound { .. }) => continue,
                Err(other) => return Err(other),
            };
            let shown = loaded.shown(&request.locale).unwrap_or_else(|_| loaded.source());
            articles.push(pb::ReadableArticle {
                article_id: loaded.article.id.clone(),
                locale: shown.locale.clone(),
                title: shown.title.clone(),
            });
        }
        Ok(pb::ListReadableArticlesResponse { articles })
    }

    pub(super) async fn find_duplicates(
        &self,
        principal: &Principal,
        request: pb::FindDuplicatesRequest,
    ) -> ApiResult<pb::FindDuplicatesResponse> {
        access::check_staff(principal, "look for duplicate articles")?;
        let min = match request.min_similarity {
            0.0 => DEFAULT_MIN_SIMILARITY,
            m if (0.0..=1.0).contains(&m) => m,
            _ => return Err(ApiError::invalid("min_similarity", "must be between 0 and 1")),
        };
        let mut connection = self.db.reader().acquire().await?;
        let loaded = load_readable(&mut connection, principal, &request.article_id).await?;
        let translation = loaded.shown(&request.locale)?.clone();
        drop(connection);
        let candidates = self.duplicates_of(principal, &loaded.article.id, &translation, min).await?;
        Ok(pb::FindDuplicatesResponse { candidates })
    }

    /// Articles in the same locale whose text nearly repeats `translation`'s: candidates from
    /// the index (any status), scored by shingle similarity.
    pub(super) async fn duplicates_of(
        &self,
        principal: &Principal,
        article_id: &str,
        translation: &Translation,
        min: f64,
    ) -> ApiResult<Vec<pb::DuplicateCandidate>> {
        let audience = audience(principal)?;
        let text = format!("{} {}", translation.title, translation.body_text);
        let query = free_text(&text);
        if !query.has_positive() {
            return Ok(Vec::new());
        }
        let filters = Filters {
            locales: vec![translation.locale.clone()],
            statuses: vec![ArticleStatus::Draft.name(), ArticleStatus::Published.name()],
            exact_words_only: true,
            ..Filters::default()
        };
        let found = self.index.search(query, filters, audience, 0, CANDIDATES).await?;
        let cjk = analysis::is_cjk_analyzer(analysis::analyzer_for_locale(&translation.locale));
        let mine = similarity::fingerprint(&text, cjk);
        let mut candidates: Vec<pb::DuplicateCandidate> = found
            .hits
            .iter()
            .filter(|hit| hit.article_id != article_id)
            .filter_map(|hit| {
                let theirs = similarity::fingerprint(&format!("{} {}", hit.title, hit.body_text), cjk);
                let score = similarity::similarity(&mine, &theirs);
                (score >= min).then(|| pb::DuplicateCandidate {
                    article_id: hit.article_id.clone(),
                    locale: hit.locale.clone(),
                    title: hit.title.clone(),
                    similarity: (score * 1000.0).round() / 1000.0,
                })
            })
            .collect();
        candidates.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        Ok(candidates)
    }

    pub(super) fn rebuild_search_index(
        &self,
        principal: &Principal,
    ) -> ApiResult<BoxStream<'static, Result<pb::RebuildSearchIndexProgress, Status>>> {
        access::check_administers(principal, "rebuild the search index")?;
        let (sender, receiver) = tokio::sync::mpsc::channel(64);
        let (index, feed) = (self.index.clone(), self.feed.clone());
        tokio::spawn(async move {
            let head = match feed.list(i64::MAX, 1).await {
                Ok((_, head)) => head,
                Err(error) => {
                    let _ = sender.send(Err(Status::from(ApiError::from(error)))).await;
                    return;
                }
            };
            let progress = sender.clone();
            let result = index
                .rebuild(head, move |indexed, total| {
                    let _ = progress.try_send(Ok(pb::RebuildSearchIndexProgress { indexed, total, done: false }));
                })
                .await;
            let last = match result {
                Ok(indexed) => Ok(pb::RebuildSearchIndexProgress { indexed, total: indexed, done: true }),
                Err(error) => Err(Status::from(ApiError::Internal(error.context("rebuilding the search index")))),
            };
            let _ = sender.send(last).await;
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::article::{ArticleType, Visibility};

    #[test]
    fn ticket_text_becomes_plain_alternatives_without_operators() {
        let query = free_text("Refund \"not\" -received for order 42");
        assert!(query.clauses.iter().all(|c| !c.phrase && !c.excluded));
        assert_eq!(
            query.clauses.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            ["Refund", "not", "received", "for", "order", "42"]
        );
    }

    #[test]
    fn unknown_visibility_and_types_are_named() {
        assert!(convert::article_type(0, "types[0]").is_err());
        assert_eq!(convert::visibility(2), Visibility::Public);
        assert_eq!(ArticleType::Faq.name(), "faq");
    }
}

//! The gRPC face of knowledge: decode, authorise, let the domain decide, record the outcome and
//! its feed event in one transaction, bring this replica's search index up to date, encode.
mod articles;
mod collections;
mod convert;
mod feedback;
mod search;
mod transfer;
mod translations;
mod verification;

use std::time::Duration;

use frontline_proto::{
    common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest},
    knowledge::v1::{self as pb, knowledge_service_server::KnowledgeService},
    ticketing::v1::ticketing_service_client::TicketingServiceClient,
};
use frontline_shared::{
    ApiError, ApiResult, auth,
    config::Settings,
    database::Database,
    feed::{Feed, FeedEndpoint, WatchEventsStream},
    peers::PeerChannel,
};
use futures::stream::BoxStream;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::search::{Opened, SearchIndex, SearchLog, follower};

/// Knowledge's gRPC service. Cheap to clone.
#[derive(Clone)]
pub struct KnowledgeApi {
    db: Database,
    feed: Feed,
    events: FeedEndpoint,
    index: SearchIndex,
    search_log: SearchLog,
    /// For suggestions by ticket id and tickets opened from feedback; None when ticketing is
    /// neither here nor configured.
    ticketing: Option<TicketingServiceClient<PeerChannel>>,
    /// The knowledge base's locales (knowledge.locales).
    locales: Vec<String>,
    verification_check_interval: Duration,
    search_stats_interval: Duration,
    index_poll_interval: Duration,
}

impl KnowledgeApi {
    /// Opens this replica's search index (rebuilding it from the database when it is new or
    /// of another schema version) and returns the service, ready to serve.
    pub async fn start(
        events: FeedEndpoint,
        settings: &Settings,
        ticketing: Option<PeerChannel>,
    ) -> anyhow::Result<Self> {
        let feed = events.feed().clone();
        let db = feed.database().clone();
        let directory = if settings.knowledge.index_dir.is_empty() {
            SearchIndex::directory(&settings.data_dir)
        } else {
            settings.knowledge.index_dir.clone().into()
        };
        let (index, opened) = SearchIndex::open(&directory, db.clone())?;
        match opened {
            Opened::NeedsRebuild => {
                follower::rebuild_logged(&index, &feed).await?;
            }
            Opened::Resumed { position } => tracing::info!(position, "search index opened"),
        }
        Ok(Self {
            db,
            feed,
            events,
            index,
            search_log: SearchLog::default(),
            ticketing: ticketing.map(TicketingServiceClient::new),
            locales: settings.knowledge.locales.clone(),
            verification_check_interval: settings.knowledge.verification_check_interval,
            search_stats_interval: settings.knowledge.search_stats_interval,
            index_poll_interval: settings.feed.watch_poll_interval,
        })
    }

    /// The background work: the index follower, the search-statistics writer and the
    /// verification sweeper.
    pub fn spawn_background(&self, shutdown: &CancellationToken, tasks: &mut JoinSet<()>) {
        tasks.spawn(follower::follow(
            self.index.clone(),
            self.feed.clone(),
            self.index_poll_interval,
            shutdown.clone(),
        ));
        tasks.spawn(self.search_log.clone().run(self.feed.clone(), self.search_stats_interval, shutdown.clone()));
        tasks.spawn(self.clone().run_verification_sweeper(self.verification_check_interval, shutdown.clone()));
    }

    /// Brings the index up to date with articles this call changed, so the caller finds them
    /// at once. The follower would get there too; a failure here is logged, not the caller's.
    async fn reindex(&self, article_ids: &[String]) {
        if let Err(error) = self.index.refresh(article_ids, None).await {
            tracing::warn!(error = %format!("{error:#}"), "updating the search index after a change failed; the feed follower will retry");
        }
    }
}

type ApiResponse<T> = Result<Response<T>, Status>;

fn required<'a>(field: &str, value: &'a str) -> ApiResult<&'a str> {
    if value.trim().is_empty() { Err(ApiError::invalid(field, "is required")) } else { Ok(value) }
}

/// The service impl: each plain RPC takes the principal, hands the message to its handler and
/// maps the outcome. Generated as one block so `async_trait` sees every method.
macro_rules! knowledge_service {
    ($($name:ident($request:ty) -> $response:ty;)*) => {
        #[tonic::async_trait]
        impl KnowledgeService for KnowledgeApi {
            $(
                async fn $name(&self, request: Request<$request>) -> ApiResponse<$response> {
                    let principal = auth::principal(&request)?;
                    Ok(Response::new(KnowledgeApi::$name(self, &principal, request.into_inner()).await?))
                }
            )*

            type RebuildSearchIndexStream = BoxStream<'static, Result<pb::RebuildSearchIndexProgress, Status>>;

            async fn rebuild_search_index(
                &self,
                request: Request<pb::RebuildSearchIndexRequest>,
            ) -> ApiResponse<Self::RebuildSearchIndexStream> {
                let principal = auth::principal(&request)?;
                Ok(Response::new(KnowledgeApi::rebuild_search_index(self, &principal)?))
            }

            async fn list_events(&self, request: Request<ListEventsRequest>) -> ApiResponse<ListEventsResponse> {
                self.events.list(request).await
            }

            type WatchEventsStream = WatchEventsStream;

            async fn watch_events(&self, request: Request<WatchEventsRequest>) -> ApiResponse<Self::WatchEventsStream> {
                self.events.watch(request)
            }
        }
    };
}

knowledge_service! {
    create_collection(pb::CreateCollectionRequest) -> pb::Collection;
    get_collection(pb::GetCollectionRequest) -> pb::Collection;
    list_collections(pb::ListCollectionsRequest) -> pb::ListCollectionsResponse;
    update_collection(pb::UpdateCollectionRequest) -> pb::Collection;
    create_article(pb::CreateArticleRequest) -> pb::Article;
    get_article(pb::GetArticleRequest) -> pb::Article;
    list_articles(pb::ListArticlesRequest) -> pb::ListArticlesResponse;
    update_article(pb::UpdateArticleRequest) -> pb::Article;
    publish_article(pb::ChangeArticleStatusRequest) -> pb::Article;
    unpublish_article(pb::ChangeArticleStatusRequest) -> pb::Article;
    archive_article(pb::ChangeArticleStatusRequest) -> pb::Article;
    unarchive_article(pb::ChangeArticleStatusRequest) -> pb::Article;
    upsert_translation(pb::UpsertTranslationRequest) -> pb::Article;
    list_missing_locales(pb::ListMissingLocalesRequest) -> pb::ListMissingLocalesResponse;
    list_article_versions(pb::ListArticleVersionsRequest) -> pb::ListArticleVersionsResponse;
    compare_article_versions(pb::CompareArticleVersionsRequest) -> pb::ArticleComparison;
    restore_article_version(pb::RestoreArticleVersionRequest) -> pb::Article;
    verify_article(pb::VerifyArticleRequest) -> pb::Article;
    unverify_article(pb::UnverifyArticleRequest) -> pb::Article;
    list_verification_queue(pb::ListVerificationQueueRequest) -> pb::ListVerificationQueueResponse;
    create_verification_rule(pb::CreateVerificationRuleRequest) -> pb::VerificationRule;
    list_verification_rules(pb::ListVerificationRulesRequest) -> pb::ListVerificationRulesResponse;
    delete_verification_rule(pb::DeleteVerificationRuleRequest) -> pb::DeleteVerificationRuleResponse;
    report_tag_change(pb::ReportTagChangeRequest) -> pb::ReportTagChangeResponse;
    search_articles(pb::SearchArticlesRequest) -> pb::SearchArticlesResponse;
    suggest_articles(pb::SuggestArticlesRequest) -> pb::SuggestArticlesResponse;
    mark_suggestion_solved(pb::MarkSuggestionSolvedRequest) -> pb::Deflection;
    list_readable_articles(pb::ListReadableArticlesRequest) -> pb::ListReadableArticlesResponse;
    find_duplicates(pb::FindDuplicatesRequest) -> pb::FindDuplicatesResponse;
    record_feedback(pb::RecordFeedbackRequest) -> pb::Feedback;
    record_view(pb::RecordViewRequest) -> pb::RecordViewResponse;
    list_knowledge_gaps(pb::ListKnowledgeGapsRequest) -> pb::ListKnowledgeGapsResponse;
    import_articles(pb::ImportArticlesRequest) -> pb::ImportArticlesResponse;
    export_collection(pb::ExportCollectionRequest) -> pb::ExportCollectionResponse;
}

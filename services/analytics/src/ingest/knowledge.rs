//! The knowledge feed: articles and collections (for titles and the collection filter), views,
//! votes, deflections and search windows. Each fact is stored under a key that makes applying
//! the same event again change nothing (see migrations/0110).
use frontline_proto::{
    common::v1::FeedEvent,
    knowledge::v1::{
        ArticleChanged, ArticleViewed, CollectionChanged, DeflectionRecorded, FeedbackRecorded, SearchStats,
    },
};
use frontline_shared::{database::time, feed::EventApplier};
use futures::{FutureExt, future::BoxFuture};
use prost::Name;
use sqlx::AnyConnection;

use crate::store::knowledge::{self as store, SearchWindow};

/// Keeps the knowledge facts in step with the knowledge feed.
pub struct KnowledgeFacts;

impl EventApplier for KnowledgeFacts {
    fn apply<'a>(
        &'a self,
        connection: &'a mut AnyConnection,
        event: &'a FeedEvent,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let Some(payload) = &event.payload else { return Ok(()) };
            let occurred_at =
                event.occurred_at.as_ref().and_then(time::from_timestamp).unwrap_or_else(time::now_micros);
            let at =
                |t: &Option<prost_types::Timestamp>| t.as_ref().and_then(time::from_timestamp).unwrap_or(occurred_at);
            match payload.type_url.as_str() {
                url if url == ArticleChanged::type_url() => {
                    if let Some(article) = payload.to_msg::<ArticleChanged>()?.article {
                        store::upsert_article(
                            connection,
                            &article.id,
                            &article.collection_id,
                            &article.title,
                            event.position,
                        )
                        .await?;
                    }
                }
                url if url == CollectionChanged::type_url() => {
                    if let Some(collection) = payload.to_msg::<CollectionChanged>()?.collection {
                        store::upsert_collection(connection, &collection.id, &collection.parent_id, event.position)
                            .await?;
                    }
                }
                url if url == ArticleViewed::type_url() => {
                    let viewed = payload.to_msg::<ArticleViewed>()?;
                    store::record_view(connection, event.position, &viewed.article_id, &viewed.locale, occurred_at)
                        .await?;
                }
                url if url == FeedbackRecorded::type_url() => {
                    if let Some(vote) = payload.to_msg::<FeedbackRecorded>()?.feedback {
                        let voted_at = at(&vote.created_at);
                        store::record_vote(
                            connection,
                            &vote.id,
                            &vote.article_id,
                            &vote.locale,
                            vote.helpful,
                            voted_at,
                        )
                        .await?;
                    }
                }
                url if url == DeflectionRecorded::type_url() => {
                    if let Some(deflection) = payload.to_msg::<DeflectionRecorded>()?.deflection {
                        let marked_at = at(&deflection.marked_at);
                        store::record_deflection(
                            connection,
                            &deflection.ticket_id,
                            &deflection.article_id,
                            &deflection.locale,
                            marked_at,
                        )
                        .await?;
                    }
                }
                url if url == SearchStats::type_url() => {
                    let stats = payload.to_msg::<SearchStats>()?;
                    let window_end = at(&stats.window_end);
                    for locale in &stats.locales {
                        let window = SearchWindow {
                            position: event.position,
                            locale: &locale.locale,
                            window_end,
                            searches: locale.searches,
                            no_results: locale.no_results,
                        };
                        store::record_search_window(connection, &window).await?;
                        for gap in &locale.gaps {
                            store::record_search_gap(connection, &window, &gap.query, gap.count).await?;
                        }
                    }
                }
                _ => {} // an event analytics has no use for (yet)
            }
            Ok(())
        }
        .boxed()
    }
}

//! Keeps this replica's index current by following knowledge's own change feed from the
//! position the index committed, whichever replica made the change.
use std::time::Duration;

use frontline_shared::feed::Feed;
use tokio_util::sync::CancellationToken;

use super::index::SearchIndex;
use crate::store::{articles, collections};

const BATCH: usize = 256;

pub async fn follow(index: SearchIndex, feed: Feed, poll_interval: Duration, shutdown: CancellationToken) {
    frontline_shared::feed::follow_own("knowledge-search-index", feed.clone(), poll_interval, shutdown, || {
        apply_next(&index, &feed)
    })
    .await
}

/// Applies the next batch of events; true when there may be more.
async fn apply_next(index: &SearchIndex, feed: &Feed) -> anyhow::Result<bool> {
    let position = index.position();
    let (events, head) = feed.list(position, BATCH).await?;
    let Some(last) = events.last().map(|event| event.position) else {
        frontline_shared::metrics::record_feed_lag("knowledge-search-index", head - position);
        return Ok(false);
    };
    let mut article_ids = Vec::new();
    let mut connection = feed.database().reader().acquire().await?;
    for event in &events {
        match event.aggregate_type.as_str() {
            // Votes, views and deflections change no indexed field.
            "article"
                if !matches!(
                    event.event_type.as_str(),
                    "article.viewed" | "article.feedback" | "article.deflected"
                ) =>
            {
                article_ids.push(event.aggregate_id.clone())
            }
            // A collection's permissions travel on each of its articles' documents.
            "collection" if event.event_type == "collection.updated" => {
                let tree = collections::with_sections(&mut connection, &event.aggregate_id).await?;
                article_ids.extend(articles::ids_in_collections(&mut connection, &tree).await?);
            }
            _ => {}
        }
    }
    drop(connection);
    article_ids.sort();
    article_ids.dedup();
    index.refresh(&article_ids, Some(last)).await?;
    frontline_shared::metrics::record_feed_lag("knowledge-search-index", head - last);
    Ok(events.len() == BATCH)
}

/// Rebuilds the index from the database when it is new or of another schema version,
/// logging progress; events after the head it started from are applied by `follow`.
pub async fn rebuild_logged(index: &SearchIndex, feed: &Feed) -> anyhow::Result<i64> {
    let head = feed.list(i64::MAX, 1).await?.1;
    let indexed = index
        .rebuild(head, |done, total| {
            if total > 0 && (done == total || done % 5_000 == 0) {
                tracing::info!(done, total, "rebuilding the search index");
            }
        })
        .await?;
    tracing::info!(articles = indexed, position = head, "search index rebuilt from the database");
    Ok(indexed)
}

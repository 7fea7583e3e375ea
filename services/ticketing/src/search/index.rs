//! This replica's ticket index: built from the database, kept current by following ticketing's
//! own change feed (whichever replica made the change), and committed with the feed position it
//! has applied (see [`DerivedIndex`]).
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    database::Database,
    feed::Feed,
    text::derived::{DerivedIndex, Opened},
};
use prost::Message;
use tokio_util::sync::CancellationToken;

use super::{
    documents,
    schema::{self, Fields, SCHEMA_VERSION},
};
use crate::store::{search_source, tickets};

/// Events applied per index commit when catching up (an import's thousands of events are a few
/// commits, not one per few hundred).
const BATCH: usize = 2_048;
/// Tickets read from the database per batch when rebuilding.
const REBUILD_BATCH: usize = 500;

#[derive(Clone)]
pub struct TicketIndex {
    pub(super) derived: DerivedIndex,
    pub(super) fields: Fields,
    db: Database,
}

impl TicketIndex {
    pub fn open(directory: &Path, db: Database) -> anyhow::Result<(Self, Opened)> {
        let (schema, fields) = schema::build();
        let (derived, opened) = DerivedIndex::open(directory, schema, SCHEMA_VERSION)?;
        Ok((Self { derived, fields, db }, opened))
    }

    /// The default place: `<data_dir>/search/tickets`.
    pub fn directory(data_dir: &Path) -> PathBuf {
        data_dir.join("search").join("tickets")
    }

    /// Re-reads these tickets from the database and replaces their documents (removing those
    /// of deleted ones); with `position`, records that the feed was applied up to it.
    /// A requester's tickets can be many: they are read and written a batch at a time, and the
    /// position is recorded with the last batch.
    pub async fn refresh(&self, ticket_ids: &[i64], position: Option<i64>) -> anyhow::Result<()> {
        let batches: Vec<&[i64]> = ticket_ids.chunks(REBUILD_BATCH).collect();
        if batches.is_empty() {
            return self.derived.update(position, async { Ok(None::<()>) }, |_, _| Ok(())).await;
        }
        for (n, batch) in batches.iter().enumerate() {
            let fields = self.fields.clone();
            let load = async { Ok(Some(documents::load(&self.db, batch).await?)) };
            let position = if n + 1 == batches.len() { position } else { None };
            self.derived
                .update(position, load, move |writer, loaded| {
                    for (id, source) in loaded {
                        writer.delete_term(documents::ticket_term(&fields, id));
                        if let Some(source) = source {
                            writer.add_document(documents::document(&fields, &source))?;
                        }
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }

    /// Rebuilds every document from the database, logging progress; events after `head` are
    /// applied by [`TicketIndex::follow`].
    pub async fn rebuild(&self, head: i64) -> anyhow::Result<i64> {
        let total = search_source::count(&mut *self.db.reader().acquire().await?).await?;
        let indexed = self
            .derived
            .rebuild(
                head,
                total,
                |after: i64| async move {
                    let ids =
                        search_source::ids_after(&mut *self.db.reader().acquire().await?, after, REBUILD_BATCH).await?;
                    let Some(&last) = ids.last() else { return Ok(None) };
                    let loaded = documents::load(&self.db, &ids).await?;
                    let documents =
                        loaded.iter().filter_map(|(_, s)| s.as_ref()).map(|s| documents::document(&self.fields, s));
                    Ok(Some((last, documents.collect(), ids.len() as i64)))
                },
                |done, total| {
                    if total > 0 && (done == total || done % 10_000 == 0) {
                        tracing::info!(done, total, "rebuilding the ticket search index");
                    }
                },
            )
            .await?;
        tracing::info!(tickets = indexed, position = head, "ticket search index rebuilt from the database");
        Ok(indexed)
    }

    /// Keeps the index current until `shutdown`: first rebuilt from the database when
    /// `opened` says it is new or of another schema version (while it is, searches answer
    /// UNAVAILABLE rather than hold up start-up, which a large desk would make outlast any
    /// start-up probe), then following the feed from where it committed.
    pub async fn run(self, opened: Opened, feed: Feed, poll_interval: Duration, shutdown: CancellationToken) {
        match opened {
            Opened::NeedsRebuild => {
                let rebuilt = async {
                    let head = feed.list(i64::MAX, 1).await?.1;
                    self.rebuild(head).await
                };
                if let Err(error) = rebuilt.await {
                    // The follower starts from position 0 instead: slower, but it gets there.
                    tracing::error!(error = %format!("{error:#}"), "rebuilding the ticket search index failed; indexing from the feed instead");
                }
            }
            Opened::Resumed { position } => tracing::info!(position, "ticket search index opened"),
        }
        frontline_shared::feed::follow_own("ticket-search-index", feed.clone(), poll_interval, shutdown, || {
            self.apply_next(&feed)
        })
        .await
    }

    /// Waits until the index shows every change this replica acknowledged before the call
    /// (and what other replicas' feed had numbered by then), for at most `within`.
    pub async fn caught_up(&self, feed: &Feed, within: Duration) -> bool {
        let started = tokio::time::Instant::now();
        let head = feed.settled_head(within).await;
        self.derived.reached(head, within.saturating_sub(started.elapsed())).await
    }

    /// Applies the next batch of events; true when there may be more.
    async fn apply_next(&self, feed: &Feed) -> anyhow::Result<bool> {
        let position = self.derived.position();
        let (events, head) = feed.list(position, BATCH).await?;
        let Some(last) = events.last().map(|event| event.position) else {
            frontline_shared::metrics::record_feed_lag("ticket-search-index", head - position);
            return Ok(false);
        };
        let mut ticket_ids = Vec::new();
        let mut connection = self.db.reader().acquire().await?;
        for event in &events {
            match (event.aggregate_type.as_str(), event.event_type.as_str()) {
                // Clocks, notifications and suggestions change no indexed field.
                (
                    "ticket",
                    "ticket.sla_warning"
                    | "ticket.sla_breached"
                    | "ticket.rule_notification"
                    | "ticket.suggestions_attached"
                    | "ticket.suggestions_unavailable",
                ) => {}
                ("ticket", _) => ticket_ids.extend(event.aggregate_id.parse::<i64>().ok()),
                // A requester's name and addresses are indexed on each of their tickets.
                ("customer", "customer.updated") => {
                    ticket_ids.extend(tickets::ids_requested_by(&mut connection, &event.aggregate_id).await?)
                }
                ("customer", "customer.merged") => {
                    let merged = event
                        .payload
                        .as_ref()
                        .and_then(|any| pb::CustomerMerged::decode(any.value.as_slice()).ok())
                        .unwrap_or_default();
                    ticket_ids.extend(merged.moved_ticket_ids.iter().filter_map(|id| id.parse::<i64>().ok()));
                }
                _ => {}
            }
        }
        drop(connection);
        ticket_ids.sort_unstable();
        ticket_ids.dedup();
        self.refresh(&ticket_ids, Some(last)).await?;
        frontline_shared::metrics::record_feed_lag("ticket-search-index", head - last);
        Ok(events.len() == BATCH)
    }
}

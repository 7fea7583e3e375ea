//! Search counts and knowledge gaps, gathered in memory and written in windows: a search never
//! waits on a database write (on SQLite that write would queue behind every other writer), and
//! one event per window is what analytics needs.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{
    database::time,
    feed::{self, Feed, NewEvent},
};
use tokio_util::sync::CancellationToken;

use crate::{domain::gaps, store::feedback};

#[derive(Default)]
struct LocaleCounts {
    searches: i64,
    no_results: i64,
    /// normalised query → (count, first seen, last seen)
    gaps: HashMap<String, (i64, i64, i64)>,
}

#[derive(Default)]
struct Window {
    started_at: i64,
    locales: HashMap<String, LocaleCounts>,
}

#[derive(Clone, Default)]
pub struct SearchLog {
    window: Arc<Mutex<Window>>,
    /// Serialises flushes, so a gap is never written twice.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

impl SearchLog {
    pub fn record(&self, locale: &str, query: &str, found: bool) {
        let now = time::now_micros();
        let mut window = self.window.lock().expect("the search log is never poisoned");
        if window.locales.is_empty() {
            window.started_at = now;
        }
        let counts = window.locales.entry(locale.to_owned()).or_default();
        counts.searches += 1;
        if !found {
            counts.no_results += 1;
            let query = gaps::normalize_query(query);
            if !query.is_empty() {
                let gap = counts.gaps.entry(query).or_insert((0, now, now));
                gap.0 += 1;
                gap.2 = now;
            }
        }
    }

    /// Writes the window so far (its gaps and one search.stats event) and starts a new one.
    pub async fn flush(&self, feed: &Feed) -> anyhow::Result<()> {
        let _one_at_a_time = self.flushing.lock().await;
        let window = std::mem::take(&mut *self.window.lock().expect("the search log is never poisoned"));
        if window.locales.is_empty() {
            return Ok(());
        }
        let now = time::now_micros();
        let mut stats = pb::SearchStats {
            window_start: Some(time::to_timestamp(window.started_at)),
            window_end: Some(time::to_timestamp(now)),
            locales: Vec::new(),
        };
        let mut transaction = feed.database().begin().await?;
        for (locale, counts) in window.locales {
            let mut gap_list = Vec::new();
            for (query, (count, first, last)) in counts.gaps {
                feedback::add_gap(&mut transaction, &query, &locale, count, last).await?;
                gap_list.push(pb::KnowledgeGap {
                    query,
                    locale: locale.clone(),
                    count,
                    first_seen_at: Some(time::to_timestamp(first)),
                    last_seen_at: Some(time::to_timestamp(last)),
                });
            }
            stats.locales.push(pb::LocaleSearchStats {
                locale,
                searches: counts.searches,
                no_results: counts.no_results,
                gaps: gap_list,
            });
        }
        stats.locales.sort_by(|a, b| a.locale.cmp(&b.locale));
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "search.stats",
                aggregate_type: "search",
                aggregate_id: "",
                actor: "service:knowledge",
                payload: &stats,
            },
        )
        .await?;
        transaction.commit().await?;
        feed.committed();
        Ok(())
    }

    /// Flushes every `interval`, and once more at shutdown.
    pub async fn run(self, feed: Feed, interval: Duration, shutdown: CancellationToken) {
        loop {
            let stopping = tokio::select! {
                _ = tokio::time::sleep(interval) => false,
                _ = shutdown.cancelled() => true,
            };
            if let Err(error) = self.flush(&feed).await {
                tracing::warn!(error = %format!("{error:#}"), "writing search statistics failed; they are dropped");
            }
            if stopping {
                break;
            }
        }
    }
}

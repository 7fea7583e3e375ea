//! GetKnowledgeMetrics: views, votes, searches, gaps and deflections over a period, with the
//! most viewed and least helpful articles and, on request, the same counts by local bucket.
use std::collections::{BTreeSet, HashMap};

use chrono::DateTime;
use chrono_tz::Tz;
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiResult,
    auth::Principal,
    database::{Database, time},
    error::Violations,
};

use crate::{
    domain::{
        knowledge_metrics::{self as metrics, Counts},
        series::{Granularity, buckets},
    },
    store::knowledge::{self as store, ArticleInfo, Scope},
};

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: i32 = 100;

fn wire(counts: &Counts) -> pb::KnowledgeCounts {
    pb::KnowledgeCounts {
        article_views: counts.article_views,
        helpful_votes: counts.helpful_votes,
        not_helpful_votes: counts.not_helpful_votes,
        helpfulness_rate: counts.helpfulness_rate(),
        searches: counts.searches,
        searches_without_results: counts.searches_without_results,
        no_result_rate: counts.no_result_rate(),
        deflections: counts.deflections,
    }
}

fn wire_article(id: String, counts: &Counts, articles: &HashMap<String, ArticleInfo>) -> pb::ArticleKnowledgeCounts {
    let info = articles.get(&id);
    pb::ArticleKnowledgeCounts {
        title: info.map(|a| a.title.clone()).unwrap_or_default(),
        collection_id: info.map(|a| a.collection_id.clone()).unwrap_or_default(),
        article_id: id,
        views: counts.article_views,
        helpful_votes: counts.helpful_votes,
        not_helpful_votes: counts.not_helpful_votes,
        helpfulness_rate: counts.helpfulness_rate(),
        deflections: counts.deflections,
    }
}

pub async fn get_knowledge_metrics(
    db: &Database,
    principal: &Principal,
    request: pb::GetKnowledgeMetricsRequest,
) -> ApiResult<pb::KnowledgeMetrics> {
    crate::ticket_metrics_api::check_reader(principal)?;
    let mut violations = Violations::new();
    let period = crate::period::checked(&mut violations, &request.from, &request.to);
    let locale = request.locale.trim().to_ascii_lowercase();
    violations.check(locale.len() <= 35, "locale", "must be a locale tag such as en or pt-br");
    violations.check((0..=MAX_LIMIT).contains(&request.limit), "limit", "must be between 0 and 100");
    let granularity = match request.granularity.trim() {
        "" => None,
        text => {
            let parsed = Granularity::parse(text);
            violations.check(parsed.is_some(), "granularity", "must be hour, day, week or month");
            parsed
        }
    };
    let zone = if request.time_zone.trim().is_empty() { "UTC" } else { request.time_zone.trim() };
    let tz: Option<Tz> = zone.parse().ok();
    if tz.is_none() {
        violations.add("time_zone", format!("`{zone}` is not an IANA time zone"));
    }
    violations.into_result()?;
    let ((from, to), tz) = (period.expect("checked"), tz.expect("checked"));
    let series_buckets = match granularity {
        Some(granularity) => {
            let at = |micros| DateTime::from_timestamp_micros(micros).unwrap_or_default();
            Some(buckets(at(from), at(to), granularity, tz).ok_or_else(|| {
                frontline_shared::ApiError::invalid("granularity", "makes more buckets than one query may ask for")
            })?)
        }
        None => None,
    };
    let limit = if request.limit == 0 { DEFAULT_LIMIT } else { request.limit as usize };

    let mut connection = db.reader().acquire().await?;
    let scope = Scope { from, to, locale: &locale };
    let articles: HashMap<String, ArticleInfo> =
        store::articles(&mut connection).await?.into_iter().map(|a| (a.article_id.clone(), a)).collect();
    // The articles asked about: one, those under a collection, both (the one if it is under it), or all.
    let wanted: Option<BTreeSet<String>> = {
        let in_collection = match request.collection_id.trim() {
            "" => None,
            root => {
                let collections =
                    metrics::collection_and_sections(&store::collection_parents(&mut connection).await?, root);
                Some(
                    articles
                        .values()
                        .filter(|a| collections.contains(&a.collection_id))
                        .map(|a| a.article_id.clone())
                        .collect::<BTreeSet<_>>(),
                )
            }
        };
        match (request.article_id.trim(), in_collection) {
            ("", narrowed) => narrowed,
            (id, None) => Some(BTreeSet::from([id.to_string()])),
            (id, Some(narrowed)) => Some(narrowed.into_iter().filter(|a| a == id).collect()),
        }
    };
    let mut facts = store::article_facts(&mut connection, &scope).await?;
    if let Some(wanted) = &wanted {
        facts.retain(|fact| fact.article_id.as_ref().is_some_and(|id| wanted.contains(id)));
    }
    facts.extend(store::search_facts(&mut connection, &scope).await?);
    let gaps = store::gaps(&mut connection, &scope).await?;

    let per_article = metrics::per_article(&facts);
    Ok(pb::KnowledgeMetrics {
        totals: Some(wire(&metrics::totals(&facts))),
        top_gaps: metrics::top_gaps(gaps, limit)
            .into_iter()
            .map(|gap| pb::KnowledgeGapCount { query: gap.query, locale: gap.locale, count: gap.count })
            .collect(),
        most_viewed: metrics::most_viewed(&per_article, limit)
            .into_iter()
            .map(|(id, counts)| wire_article(id, &counts, &articles))
            .collect(),
        least_helpful: metrics::least_helpful(&per_article, limit)
            .into_iter()
            .map(|(id, counts)| wire_article(id, &counts, &articles))
            .collect(),
        series: series_buckets
            .map(|buckets| {
                let counts = metrics::series(&facts, &buckets);
                buckets
                    .iter()
                    .zip(&counts)
                    .map(|(bucket, counts)| pb::KnowledgeMetricsPoint {
                        start: Some(time::to_timestamp(bucket.start.timestamp_micros())),
                        end: Some(time::to_timestamp(bucket.end.timestamp_micros())),
                        counts: Some(wire(counts)),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

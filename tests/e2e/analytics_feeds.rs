//! Analytics follows the knowledge and workforce feeds: knowledge metrics (views, votes,
//! searches, gaps, deflections) and workforce metrics (certification coverage, QA averages),
//! exact after ingestion, with lag 0 on each feed.
use std::{collections::BTreeMap, time::Duration};

use frontline_proto::{
    analytics::v1::{self as analytics_pb, ListFeedSubscriptionsRequest},
    knowledge::v1 as kb,
};
use frontline_shared::auth::Role;
use prost_types::Timestamp;
use tonic::Code;

use crate::{
    knowledge::{admin, collection, create, draft, publish},
    on_both_backends,
    support::{TestApp, eventually, expect_error, violated_fields},
};

fn seconds_from_now(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds: chrono::Utc::now().timestamp() + seconds, nanos: 0 })
}

/// Waits until analytics has applied `feed` up to its head (lag 0, past position 0).
async fn caught_up(app: &TestApp, feed: &'static str) -> analytics_pb::FeedSubscription {
    let analytics = app.analytics(Role::Manager).await;
    eventually(Duration::from_secs(30), || {
        let mut analytics = analytics.clone();
        async move {
            let response = analytics.list_feed_subscriptions(ListFeedSubscriptionsRequest {}).await.ok()?.into_inner();
            response.subscriptions.into_iter().find(|s| s.feed == feed && s.position > 0 && s.lag == 0)
        }
    })
    .await
}

fn knowledge_request(
    extra: impl FnOnce(&mut analytics_pb::GetKnowledgeMetricsRequest),
) -> analytics_pb::GetKnowledgeMetricsRequest {
    let mut request = analytics_pb::GetKnowledgeMetricsRequest {
        from: seconds_from_now(-3600),
        to: seconds_from_now(3600),
        ..Default::default()
    };
    extra(&mut request);
    request
}

on_both_backends! {
    /// Views, votes, deflections and searches recorded through knowledge come out of
    /// GetKnowledgeMetrics exactly, overall and narrowed to a collection (with its sections),
    /// an article or a locale; the series by Warsaw day adds up to the totals.
    async fn knowledge_metrics_count_views_votes_searches_gaps_and_deflections_exactly(app) {
        let mut admin = admin(&app).await;
        let help = collection(&mut admin, "Help centre", "", &[]).await;
        let billing = collection(&mut admin, "Billing", &help.id, &[]).await;
        let other = collection(&mut admin, "Other", "", &[]).await;
        let invoices = create(&mut admin, draft(&billing.id, "en", "Invoices", "Download invoices from Billing.")).await;
        let printers = create(&mut admin, draft(&other.id, "en", "Printers", "Turn the printer off and on again.")).await;
        publish(&mut admin, &invoices.id).await;
        publish(&mut admin, &printers.id).await;

        let mut portal = app.knowledge(Role::Portal, "portal", None).await;
        for (article, views) in [(&invoices, 3), (&printers, 1)] {
            for _ in 0..views {
                portal.record_view(kb::RecordViewRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap();
            }
        }
        for (article, helpful) in [(&invoices, true), (&invoices, false), (&invoices, false), (&printers, true)] {
            portal.record_feedback(kb::RecordFeedbackRequest { article_id: article.id.clone(), helpful, ..Default::default() }).await.unwrap();
        }
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        for ticket in ["T-1", "T-2", "T-1"] {
            agent.mark_suggestion_solved(kb::MarkSuggestionSolvedRequest { ticket_id: ticket.into(), article_id: invoices.id.clone(), locale: String::new() }).await.unwrap();
        }
        // Count the searches as knowledge answered them (an article not yet indexed is not found).
        let (mut searches, mut without_results) = (0, 0);
        let mut gaps: BTreeMap<String, i64> = BTreeMap::new();
        for query in ["flux capacitor", "Flux capacitor?", "invoices"] {
            let found = portal.search_articles(kb::SearchArticlesRequest { query: query.into(), locales: vec!["en".into()], ..Default::default() }).await.unwrap().into_inner();
            searches += 1;
            if found.total_size == 0 {
                without_results += 1;
                *gaps.entry(query.trim_end_matches('?').to_lowercase()).or_default() += 1;
            }
        }
        assert_eq!(gaps["flux capacitor"], 2);
        // Listing gaps writes the search window at once instead of at the next interval.
        agent.list_knowledge_gaps(kb::ListKnowledgeGapsRequest::default()).await.unwrap();

        let mut analytics = app.analytics(Role::BiReader).await;
        let metrics = eventually(Duration::from_secs(30), || {
            let mut analytics = analytics.clone();
            async move {
                let metrics = analytics.get_knowledge_metrics(knowledge_request(|r| { r.granularity = "day".into(); r.time_zone = "Europe/Warsaw".into(); })).await.ok()?.into_inner();
                let totals = metrics.totals?;
                (totals.article_views == 4 && totals.deflections == 2 && totals.searches == searches && totals.helpful_votes + totals.not_helpful_votes == 4).then_some(metrics)
            }
        }).await;
        let totals = metrics.totals.unwrap();
        assert_eq!((totals.helpful_votes, totals.not_helpful_votes, totals.helpfulness_rate), (2, 2, Some(0.5)));
        assert_eq!((totals.searches_without_results, totals.no_result_rate), (without_results, Some(without_results as f64 / searches as f64)));
        let top: Vec<(String, i64)> = metrics.top_gaps.iter().map(|g| (g.query.clone(), g.count)).collect();
        let mut expected: Vec<(String, i64)> = gaps.into_iter().collect();
        expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!(top, expected);
        assert!(metrics.top_gaps.iter().all(|g| g.locale == "en"));
        let viewed: Vec<(&str, i64, &str)> = metrics.most_viewed.iter().map(|a| (a.article_id.as_str(), a.views, a.title.as_str())).collect();
        assert_eq!(viewed, [(invoices.id.as_str(), 3, "Invoices"), (printers.id.as_str(), 1, "Printers")]);
        let least: Vec<(&str, Option<f64>)> = metrics.least_helpful.iter().map(|a| (a.article_id.as_str(), a.helpfulness_rate)).collect();
        assert_eq!(least, [(invoices.id.as_str(), Some(1.0 / 3.0)), (printers.id.as_str(), Some(1.0))]);
        assert_eq!(metrics.most_viewed[0].deflections, 2);
        let series_views: i64 = metrics.series.iter().map(|p| p.counts.unwrap().article_views).sum();
        assert_eq!(series_views, 4, "the series by Warsaw day adds up to the totals");

        // The help centre holds Invoices through its Billing section.
        let in_help = analytics.get_knowledge_metrics(knowledge_request(|r| r.collection_id = help.id.clone())).await.unwrap().into_inner();
        let totals = in_help.totals.unwrap();
        assert_eq!((totals.article_views, totals.helpful_votes, totals.not_helpful_votes, totals.deflections), (3, 1, 2, 2));
        assert_eq!(totals.searches, searches, "searches are about no one article");
        assert_eq!(in_help.most_viewed.len(), 1);
        let one = analytics.get_knowledge_metrics(knowledge_request(|r| { r.article_id = printers.id.clone(); r.limit = 1; })).await.unwrap().into_inner();
        assert_eq!((one.totals.unwrap().article_views, one.totals.unwrap().deflections), (1, 0));
        let elsewhere = analytics.get_knowledge_metrics(knowledge_request(|r| { r.article_id = printers.id.clone(); r.collection_id = help.id.clone(); })).await.unwrap().into_inner();
        assert_eq!(elsewhere.totals.unwrap().article_views, 0, "Printers is not in the help centre");
        let polish = analytics.get_knowledge_metrics(knowledge_request(|r| r.locale = "pl".into())).await.unwrap().into_inner();
        assert_eq!(polish.totals.unwrap(), analytics_pb::KnowledgeCounts::default());
        let later = analytics.get_knowledge_metrics(analytics_pb::GetKnowledgeMetricsRequest { from: seconds_from_now(3600), to: seconds_from_now(7200), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(later.totals.unwrap(), analytics_pb::KnowledgeCounts::default());

        let subscription = caught_up(&app, "knowledge").await;
        assert!(subscription.last_error.is_empty());

        let missing = expect_error(analytics.get_knowledge_metrics(analytics_pb::GetKnowledgeMetricsRequest::default()).await);
        assert_eq!(missing.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&missing), ["from", "to"]);
        let bad = expect_error(analytics.get_knowledge_metrics(analytics_pb::GetKnowledgeMetricsRequest {
            from: seconds_from_now(0), to: seconds_from_now(-60), limit: 500, granularity: "fortnight".into(), time_zone: "Mars/Olympus".into(), ..Default::default()
        }).await);
        assert_eq!(violated_fields(&bad), ["to", "limit", "granularity", "time_zone"]);
        for role in [Role::Portal, Role::Scheduler, Role::CrmSync] {
            let mut denied = app.analytics(role).await;
            assert_eq!(expect_error(denied.get_knowledge_metrics(knowledge_request(|_| {})).await).code(), Code::PermissionDenied, "{role}");
        }
        let _ = &mut analytics;
    }
}

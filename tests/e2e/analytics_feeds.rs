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
        let mut ticketing = app.ticketing(Role::Administrator).await;
        let first = crate::knowledge_search::ticket_about(&mut ticketing, "Invoices", "Where are my invoices?").await;
        let second = crate::knowledge_search::ticket_about(&mut ticketing, "Invoices again", "Still no invoices.").await;
        for ticket in [&first.id, &second.id, &first.id] {
            agent.mark_suggestion_solved(kb::MarkSuggestionSolvedRequest { ticket_id: ticket.clone(), article_id: invoices.id.clone(), locale: String::new() }).await.unwrap();
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

fn days_from_now(days: i64) -> Option<Timestamp> {
    seconds_from_now(days * 86_400)
}

on_both_backends! {
    /// Tier 1 (Ewa, Ola, Tom active; Kim on leave): certification coverage at three instants,
    /// QA averages per agent and team, coaching and kudos counted; agents read only their own scores.
    async fn workforce_metrics_show_certification_coverage_and_qa_averages_exactly(app) {
        use frontline_proto::workforce::v1 as wf;
        use crate::workforce::{client, warsaw_team};
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        admin.create_team(wf::CreateTeamRequest { team: Some(wf::Team { id: "tier2".into(), name: "Tier 2".into(), department_id: "support".into(), time_zone: "Europe/Warsaw".into(), ..Default::default() }) }).await.unwrap();
        for (id, team, status) in [("agent-kim", "tier1", wf::EmploymentStatus::OnLeave), ("agent-ann", "tier2", wf::EmploymentStatus::Active)] {
            admin.create_person(wf::CreatePersonRequest { person: Some(wf::Person { id: id.into(), name: id.into(), role: wf::PersonRole::Agent as i32, team_id: team.into(), time_zone: "Europe/Warsaw".into(), employment_status: status as i32, ..Default::default() }) }).await.unwrap();
        }
        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let certification = |person: &str, name: &str, issued: i64, expires: Option<i64>| wf::RecordCertificationRequest {
            certification: Some(wf::Certification { person_id: person.into(), name: name.into(), issued_at: days_from_now(issued), expires_at: expires.and_then(days_from_now), ..Default::default() }),
        };
        lead.record_certification(certification("agent-ola", "GDPR awareness", -300, Some(20))).await.unwrap();
        lead.record_certification(certification("agent-tom", "GDPR awareness", -400, Some(-10))).await.unwrap(); // expired
        lead.record_certification(certification("agent-tom", "Product expert", -1, None)).await.unwrap();
        lead.record_certification(certification("agent-kim", "Product expert", -100, None)).await.unwrap(); // on leave

        let scorecard = admin.create_scorecard(wf::CreateScorecardRequest { scorecard: Some(wf::Scorecard { name: "Email QA".into(), criteria: vec![
            wf::ScorecardCriterion { key: "empathy".into(), title: "Empathy".into(), weight: 1.0 },
            wf::ScorecardCriterion { key: "accuracy".into(), title: "Accuracy".into(), weight: 3.0 },
        ], ..Default::default() }) }).await.unwrap().into_inner();
        for (agent, ticket, empathy, accuracy) in [("agent-ola", "41", 60.0, 100.0), ("agent-ola", "42", 100.0, 20.0), ("agent-tom", "43", 80.0, 80.0), ("agent-ann", "44", 100.0, 100.0)] {
            admin.score_ticket(wf::ScoreTicketRequest { review: Some(wf::QaReview { scorecard_id: scorecard.id.clone(), ticket_id: ticket.into(), agent_id: agent.into(), scores: vec![
                wf::CriterionScore { key: "empathy".into(), score: empathy },
                wf::CriterionScore { key: "accuracy".into(), score: accuracy },
            ], ..Default::default() }) }).await.unwrap();
        }
        lead.record_coaching_session(wf::RecordCoachingSessionRequest { session: Some(wf::CoachingSession { person_id: "agent-ola".into(), notes: "De-escalation".into(), ..Default::default() }) }).await.unwrap();
        let mut tom = client(&app, Role::Agent, "agent-tom", Some("tier1")).await;
        tom.give_kudos(wf::GiveKudosRequest { kudos: Some(wf::Kudos { to_person_id: "agent-ola".into(), message: "Dzięki!".into(), ..Default::default() }) }).await.unwrap();

        let request = |team: &str, at: i64| analytics_pb::GetWorkforceMetricsRequest { team_id: team.into(), at: days_from_now(at), from: days_from_now(-1), to: days_from_now(1), agent_id: String::new() };
        let mut analytics = app.analytics(Role::Manager).await;
        let metrics = eventually(Duration::from_secs(30), || {
            let mut analytics = analytics.clone();
            async move {
                let metrics = analytics.get_workforce_metrics(request("tier1", 0)).await.ok()?.into_inner();
                (metrics.kudos == 1 && metrics.qa_overall.as_ref()?.reviews == 3 && metrics.certifications.len() == 2).then_some(metrics)
            }
        }).await;
        let coverage = |metrics: &analytics_pb::WorkforceMetrics| metrics.certifications.iter().map(|c| (c.name.clone(), c.holders, c.people)).collect::<Vec<_>>();
        assert_eq!(coverage(&metrics), [("GDPR awareness".to_string(), 1, 3), ("Product expert".to_string(), 1, 3)], "Tom's GDPR has expired; Kim is on leave");
        let overall = metrics.overall.unwrap();
        assert_eq!((overall.holders, overall.people, overall.coverage), (2, 3, Some(2.0 / 3.0)));
        let qa: Vec<(String, i64, Option<f64>)> = metrics.qa_by_agent.iter().map(|a| (a.key.clone(), a.reviews, a.mean_score)).collect();
        assert_eq!(qa, [("agent-ola".to_string(), 2, Some(65.0)), ("agent-tom".to_string(), 1, Some(80.0))], "90 and 40 for Ola");
        let team: Vec<(String, i64, Option<f64>)> = metrics.qa_by_team.iter().map(|a| (a.key.clone(), a.reviews, a.mean_score)).collect();
        assert_eq!(team, [("tier1".to_string(), 3, Some(70.0))]);
        assert_eq!((metrics.coaching_sessions, metrics.kudos), (1, 1));

        let earlier = analytics.get_workforce_metrics(request("tier1", -5)).await.unwrap().into_inner();
        assert_eq!(coverage(&earlier), [("GDPR awareness".to_string(), 1, 3), ("Product expert".to_string(), 0, 3)], "Tom's Product expert not yet issued");
        let later = analytics.get_workforce_metrics(request("tier1", 30)).await.unwrap().into_inner();
        assert_eq!(coverage(&later), [("GDPR awareness".to_string(), 0, 3), ("Product expert".to_string(), 1, 3)], "Ola's GDPR expired");
        let everyone = analytics.get_workforce_metrics(request("", 0)).await.unwrap().into_inner();
        assert_eq!(everyone.overall.unwrap().people, 4, "Ann in tier 2 counts too");
        let teams: Vec<(String, i64)> = everyone.qa_by_team.iter().map(|a| (a.key.clone(), a.reviews)).collect();
        assert_eq!(teams, [("tier1".to_string(), 3), ("tier2".to_string(), 1)]);
        assert_eq!(everyone.qa_overall.unwrap().mean_score, Some(77.5));

        // An agent reads their own QA scores, never a colleague's.
        let bearer = crate::support::Bearer::token(&app.token_for(Role::Agent, "agent-ola", Some("tier1")));
        let mut ola = frontline_proto::analytics::v1::analytics_service_client::AnalyticsServiceClient::new(app.authed(bearer).await);
        let own = ola.get_workforce_metrics(analytics_pb::GetWorkforceMetricsRequest { agent_id: "agent-ola".into(), ..request("tier1", 0) }).await.unwrap().into_inner();
        assert_eq!(own.qa_by_agent.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), ["agent-ola"]);
        assert_eq!(own.qa_by_team[0].mean_score, Some(65.0), "the team row holds only her own reviews");
        assert_eq!((own.coaching_sessions, own.kudos), (1, 1));
        let nosy = expect_error(ola.get_workforce_metrics(analytics_pb::GetWorkforceMetricsRequest { agent_id: "agent-tom".into(), ..request("tier1", 0) }).await);
        assert_eq!(nosy.code(), Code::PermissionDenied);
        let everyone_as_agent = expect_error(ola.get_workforce_metrics(request("tier1", 0)).await);
        assert_eq!(everyone_as_agent.code(), Code::PermissionDenied);

        let subscription = caught_up(&app, "workforce").await;
        assert!(subscription.last_error.is_empty());

        let missing = expect_error(analytics.get_workforce_metrics(analytics_pb::GetWorkforceMetricsRequest::default()).await);
        assert_eq!(violated_fields(&missing), ["from", "to"]);
        let backwards = expect_error(analytics.get_workforce_metrics(analytics_pb::GetWorkforceMetricsRequest { from: days_from_now(1), to: days_from_now(-1), at: Some(Timestamp { seconds: 0, nanos: -5 }), ..Default::default() }).await);
        assert_eq!(violated_fields(&backwards), ["to", "at"]);
        for role in [Role::Portal, Role::Scheduler, Role::CrmSync] {
            let mut denied = app.analytics(role).await;
            assert_eq!(expect_error(denied.get_workforce_metrics(request("tier1", 0)).await).code(), Code::PermissionDenied, "{role}");
        }
        let _ = &mut analytics;
    }
}

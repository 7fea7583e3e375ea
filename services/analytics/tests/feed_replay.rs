//! Every knowledge and workforce event delivered twice — again in the next batch after a lost
//! cursor, or resent by the source — gives the same numbers as delivered once.
use frontline_analytics::{
    domain::{knowledge_metrics as metrics, workforce_metrics},
    ingest::{KnowledgeFacts, WorkforceFacts},
    store::{
        knowledge::{self as store, Scope},
        workforce::{self as workforce_store, Period},
    },
};
use frontline_proto::{
    common::v1::{FeedEvent, WatchEventsResponse},
    knowledge::v1 as kb,
    workforce::v1 as wf,
};
use frontline_shared::{
    config::Settings,
    database::{Database, time},
    feed::{EventApplier, Follower},
};
use futures::FutureExt;
use prost_types::Any;

async fn analytics_database() -> (Database, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let env = [("FRONTLINE__DATA_DIR".to_string(), dir.path().display().to_string())];
    let settings = Settings::load_from(None, env).unwrap();
    let db = Database::connect(&settings, frontline_analytics::DATABASE).await.unwrap();
    db.migrate(&frontline_analytics::MIGRATIONS).await.unwrap();
    (db, dir)
}

/// A follower whose source is never asked: batches are handed to it by the test.
fn follower<A: EventApplier>(
    name: &str,
    db: &Database,
    applier: A,
) -> Follower<impl frontline_shared::feed::EventSource, A> {
    let source = |_| async { Err(tonic::Status::unavailable("batches are applied by hand")) }.boxed();
    Follower::new(name, db.clone(), source, applier)
}

const NOW: i64 = 1_790_000_000_000_000;

fn event<M: prost::Name>(position: i64, event_type: &str, payload: &M) -> FeedEvent {
    FeedEvent {
        position,
        event_id: format!("e-{position}"),
        event_type: event_type.into(),
        occurred_at: Some(time::to_timestamp(NOW + position)),
        payload: Some(Any::from_msg(payload).unwrap()),
        ..Default::default()
    }
}

fn knowledge_events() -> Vec<FeedEvent> {
    let article =
        kb::Article { id: "a-1".into(), collection_id: "c-1".into(), title: "Invoices".into(), ..Default::default() };
    let vote = |ticket_id: &str| kb::FeedbackRecorded {
        feedback: Some(kb::Feedback {
            id: "f-1".into(),
            article_id: "a-1".into(),
            locale: "en".into(),
            helpful: false,
            ticket_id: ticket_id.into(),
            created_at: Some(time::to_timestamp(NOW)),
            ..Default::default()
        }),
    };
    let viewed = kb::ArticleViewed { article_id: "a-1".into(), locale: "en".into(), view_count: 1 };
    let stats = kb::SearchStats {
        window_start: Some(time::to_timestamp(NOW)),
        window_end: Some(time::to_timestamp(NOW + 10)),
        locales: vec![kb::LocaleSearchStats {
            locale: "en".into(),
            searches: 5,
            no_results: 2,
            gaps: vec![kb::KnowledgeGap {
                query: "flux capacitor".into(),
                locale: "en".into(),
                count: 2,
                ..Default::default()
            }],
        }],
    };
    let deflection = kb::DeflectionRecorded {
        deflection: Some(kb::Deflection {
            ticket_id: "T-1".into(),
            article_id: "a-1".into(),
            locale: "en".into(),
            marked_at: Some(time::to_timestamp(NOW)),
            ..Default::default()
        }),
    };
    vec![
        event(1, "article.created", &kb::ArticleChanged { article: Some(article), ..Default::default() }),
        event(2, "article.viewed", &viewed),
        event(3, "article.viewed", &viewed),
        event(4, "article.feedback", &vote("")),
        // Knowledge sends the vote again once it has opened a ticket for it.
        event(5, "article.feedback", &vote("T-9")),
        event(6, "article.deflected", &deflection),
        event(7, "article.deflected", &deflection),
        event(8, "search.stats", &stats),
    ]
}

async fn knowledge_counts(db: &Database) -> (metrics::Counts, Vec<metrics::GapCount>) {
    let mut connection = db.reader().acquire().await.unwrap();
    let scope = Scope { from: NOW - 1, to: NOW + 1_000, locale: "" };
    let mut facts = store::article_facts(&mut connection, &scope).await.unwrap();
    facts.extend(store::search_facts(&mut connection, &scope).await.unwrap());
    (metrics::totals(&facts), metrics::top_gaps(store::gaps(&mut connection, &scope).await.unwrap(), 10))
}

#[tokio::test]
async fn knowledge_events_applied_twice_count_once() {
    let (db, _dir) = analytics_database().await;
    let batch = WatchEventsResponse { events: knowledge_events(), head_position: 8 };
    let knowledge = follower("knowledge", &db, KnowledgeFacts);
    knowledge.apply_batch(batch.clone()).await.unwrap();
    let once = knowledge_counts(&db).await;
    assert_eq!(
        once.0,
        metrics::Counts {
            article_views: 2,
            helpful_votes: 0,
            not_helpful_votes: 1,
            searches: 5,
            searches_without_results: 2,
            deflections: 1
        },
        "a vote resent with its ticket and a deflection marked twice count once"
    );
    assert_eq!(once.1, [metrics::GapCount { query: "flux capacitor".into(), locale: "en".into(), count: 2 }]);

    // Delivered again after a reconnect: the cursor skips it.
    knowledge.apply_batch(batch.clone()).await.unwrap();
    assert_eq!(knowledge_counts(&db).await, once);
    assert_eq!(knowledge.position().await.unwrap(), 8);

    // Applied again from scratch (a cursor lost, a second follower on the same facts): the
    // facts' keys make every event harmless the second time.
    follower("knowledge-again", &db, KnowledgeFacts).apply_batch(batch).await.unwrap();
    assert_eq!(knowledge_counts(&db).await, once);
}

fn workforce_events() -> Vec<FeedEvent> {
    let person = |id: &str, team: &str| wf::PersonChanged {
        person: Some(wf::Person {
            id: id.into(),
            team_id: team.into(),
            employment_status: wf::EmploymentStatus::Active as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let certification = wf::DevelopmentEvent {
        kind: "certification.recorded".into(),
        person_id: "agent-ola".into(),
        reference_id: "cert-1".into(),
        certification: Some(wf::Certification {
            id: "cert-1".into(),
            person_id: "agent-ola".into(),
            name: "GDPR awareness".into(),
            issued_at: Some(time::to_timestamp(NOW - 1)),
            ..Default::default()
        }),
        ..Default::default()
    };
    let scored = wf::QaScored {
        review: Some(wf::QaReview {
            id: "qa-1".into(),
            agent_id: "agent-ola".into(),
            total: 90.0,
            created_at: Some(time::to_timestamp(NOW)),
            ..Default::default()
        }),
    };
    let kudos =
        wf::DevelopmentEvent { kind: "kudos.given".into(), person_id: "agent-ola".into(), ..Default::default() };
    let coaching =
        wf::PrivateRecordAdded { kind: "coaching.recorded".into(), id: "s-1".into(), person_id: "agent-ola".into() };
    vec![
        event(1, "person.created", &person("agent-ola", "tier1")),
        event(2, "person.created", &person("agent-tom", "tier1")),
        event(3, "certification.recorded", &certification),
        event(4, "qa.scored", &scored),
        event(5, "kudos.given", &kudos),
        event(6, "coaching.recorded", &coaching),
        // Ola moves team after the review: the review stays with tier1.
        event(7, "person.updated", &person("agent-ola", "tier2")),
    ]
}

async fn workforce_numbers(db: &Database) -> (Vec<(String, i64, i64)>, Vec<(String, i64, Option<f64>)>, (i64, i64)) {
    let mut connection = db.reader().acquire().await.unwrap();
    let people = workforce_store::people(&mut connection, "").await.unwrap();
    let certifications = workforce_store::certifications(&mut connection, "").await.unwrap();
    let (coverage, _) = workforce_metrics::certification_coverage(&people, &certifications, NOW);
    let period = Period { from: NOW - 1, to: NOW + 1_000, team_id: "", person_id: "" };
    let scores = workforce_store::qa_scores(&mut connection, &period).await.unwrap();
    let (_, teams, _) = workforce_metrics::qa_averages(&scores);
    (
        coverage.into_iter().map(|c| (c.name, c.holders, c.people)).collect(),
        teams.into_iter().map(|t| (t.key.clone(), t.reviews, t.mean_score())).collect(),
        workforce_store::development_counts(&mut connection, &period).await.unwrap(),
    )
}

#[tokio::test]
async fn workforce_events_applied_twice_count_once() {
    let (db, _dir) = analytics_database().await;
    let batch = WatchEventsResponse { events: workforce_events(), head_position: 7 };
    follower("workforce", &db, WorkforceFacts).apply_batch(batch.clone()).await.unwrap();
    let once = workforce_numbers(&db).await;
    assert_eq!(once.0, [("GDPR awareness".to_string(), 1, 2)]);
    assert_eq!(once.1, [("tier1".to_string(), 1, Some(90.0))]);
    assert_eq!(once.2, (1, 1), "one coaching session, one kudos");
    follower("workforce-again", &db, WorkforceFacts).apply_batch(batch).await.unwrap();
    assert_eq!(workforce_numbers(&db).await, once);
}

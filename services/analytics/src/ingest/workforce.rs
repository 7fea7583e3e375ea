//! The workforce feed: people (their team and employment status), certifications, QA scores,
//! coaching sessions and kudos. Each fact is stored under a key that makes applying the same
//! event again change nothing (see migrations/0110).
use frontline_proto::{
    common::v1::FeedEvent,
    workforce::v1::{DevelopmentEvent, PersonChanged, PrivateRecordAdded, QaScored},
};
use frontline_shared::{database::time, feed::EventApplier};
use futures::{FutureExt, future::BoxFuture};
use prost::Name;
use sqlx::AnyConnection;

use crate::{
    domain::workforce_metrics::{Certification, QaScore},
    store::workforce as store,
};

/// Keeps the workforce facts in step with the workforce feed.
pub struct WorkforceFacts;

impl EventApplier for WorkforceFacts {
    fn apply<'a>(
        &'a self,
        connection: &'a mut AnyConnection,
        event: &'a FeedEvent,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let Some(payload) = &event.payload else { return Ok(()) };
            let occurred_at =
                event.occurred_at.as_ref().and_then(time::from_timestamp).unwrap_or_else(time::now_micros);
            let at = |t: &Option<prost_types::Timestamp>| t.as_ref().and_then(time::from_timestamp);
            match (payload.type_url.as_str(), event.event_type.as_str()) {
                (url, _) if url == PersonChanged::type_url() => {
                    if let Some(person) = payload.to_msg::<PersonChanged>()?.person {
                        store::upsert_person(
                            connection,
                            &person.id,
                            &person.team_id,
                            person.role,
                            person.employment_status,
                            event.position,
                        )
                        .await?;
                    }
                }
                (url, _) if url == QaScored::type_url() => {
                    if let Some(review) = payload.to_msg::<QaScored>()?.review {
                        // The team the agent is in when scored: the feed's order makes this the same on replay.
                        let team_id = store::team_of(connection, &review.agent_id).await?;
                        let score = QaScore { agent_id: review.agent_id.clone(), team_id, total: review.total };
                        let scored_at = at(&review.created_at).unwrap_or(occurred_at);
                        store::record_qa_score(connection, &review.id, &score, scored_at).await?;
                    }
                }
                (url, "certification.recorded") if url == DevelopmentEvent::type_url() => {
                    let recorded = payload.to_msg::<DevelopmentEvent>()?;
                    // Events written before the feed carried the certification say only its id.
                    let Some(given) = recorded.certification else { return Ok(()) };
                    let Some(issued_at) = at(&given.issued_at) else { return Ok(()) };
                    let certification = Certification {
                        person_id: recorded.person_id.clone(),
                        name: given.name.trim().to_string(),
                        issued_at,
                        expires_at: at(&given.expires_at),
                    };
                    store::record_certification(connection, &recorded.reference_id, &certification).await?;
                }
                (url, "kudos.given") if url == DevelopmentEvent::type_url() => {
                    let given = payload.to_msg::<DevelopmentEvent>()?;
                    development(connection, event.position, "kudos", &given.person_id, occurred_at).await?;
                }
                (url, "coaching.recorded") if url == PrivateRecordAdded::type_url() => {
                    let session = payload.to_msg::<PrivateRecordAdded>()?;
                    development(connection, event.position, "coaching", &session.person_id, occurred_at).await?;
                }
                _ => {} // an event analytics has no use for (yet)
            }
            Ok(())
        }
        .boxed()
    }
}

async fn development(
    connection: &mut AnyConnection,
    position: i64,
    kind: &str,
    person_id: &str,
    at: i64,
) -> anyhow::Result<()> {
    let team_id = store::team_of(connection, person_id).await?;
    store::record_development(connection, position, kind, person_id, &team_id, at).await?;
    Ok(())
}

//! GetWorkforceMetrics: certification coverage at an instant and QA score averages (with
//! coaching sessions and kudos counted) over a period.
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::{Database, time},
    error::Violations,
};

use crate::{
    domain::workforce_metrics::{self as metrics, Coverage, QaAverage},
    store::workforce::{self as store, Period},
};

fn wire_coverage(coverage: Coverage) -> pb::CertificationCoverage {
    pb::CertificationCoverage {
        coverage: coverage.coverage(),
        name: coverage.name,
        holders: coverage.holders,
        people: coverage.people,
    }
}

fn wire_qa(average: QaAverage) -> pb::QaAverage {
    pb::QaAverage { mean_score: average.mean_score(), reviews: average.reviews, key: average.key }
}

pub async fn get_workforce_metrics(
    db: &Database,
    principal: &Principal,
    request: pb::GetWorkforceMetricsRequest,
) -> ApiResult<pb::WorkforceMetrics> {
    crate::ticket_metrics_api::check_reader(principal)?;
    let agent_id = request.agent_id.trim();
    // QA scores are private to the agent and their leads: an agent reads only their own.
    if principal.role == Role::Agent && agent_id != principal.subject {
        return Err(ApiError::permission_denied("agents read their own QA scores only; set agent_id to yourself"));
    }
    let mut violations = Violations::new();
    let period = crate::period::checked(&mut violations, &request.from, &request.to);
    let at = match &request.at {
        None => Some(time::now_micros()),
        Some(at) => time::from_timestamp(at),
    };
    violations.check(at.is_some(), "at", "is not a valid instant");
    violations.into_result()?;
    let ((from, to), at) = (period.expect("checked"), at.expect("checked"));
    let team_id = request.team_id.trim();

    let mut connection = db.reader().acquire().await?;
    let people = store::people(&mut connection, team_id).await?;
    let certifications = store::certifications(&mut connection, team_id).await?;
    let (per_name, overall) = metrics::certification_coverage(&people, &certifications, at);
    let period = Period { from, to, team_id, person_id: agent_id };
    let scores = store::qa_scores(&mut connection, &period).await?;
    let (by_agent, by_team, qa_overall) = metrics::qa_averages(&scores);
    let (coaching_sessions, kudos) = store::development_counts(&mut connection, &period).await?;
    Ok(pb::WorkforceMetrics {
        at: Some(time::to_timestamp(at)),
        certifications: per_name.into_iter().map(wire_coverage).collect(),
        overall: Some(wire_coverage(overall)),
        qa_by_agent: by_agent.into_iter().map(wire_qa).collect(),
        qa_by_team: by_team.into_iter().map(wire_qa).collect(),
        qa_overall: Some(wire_qa(qa_overall)),
        coaching_sessions,
        kudos,
    })
}

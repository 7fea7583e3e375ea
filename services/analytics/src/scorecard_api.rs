//! GetScorecards: per team or agent, this period against the one before.
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::{Database, time},
    error::Violations,
};
use sqlx::Row;

use crate::domain::scorecard::{ScoreRow, Scores, scorecards};

fn wire(scores: Scores) -> pb::Scores {
    pb::Scores {
        tickets_created: scores.tickets_created,
        tickets_solved: scores.tickets_solved,
        mean_first_reply_seconds: scores.mean_first_reply_seconds,
        mean_full_resolution_seconds: scores.mean_full_resolution_seconds,
        one_touch_rate: scores.one_touch_rate,
        csat_score: scores.csat_score,
        escalation_rate: scores.escalation_rate,
    }
}

pub async fn get_scorecards(
    db: &Database,
    principal: &Principal,
    request: pb::GetScorecardsRequest,
) -> ApiResult<pb::GetScorecardsResponse> {
    crate::ticket_metrics_api::check_reader(principal)?;
    let mut violations = Violations::new();
    let key_column = match request.by.trim() {
        "team" => Some("team_id"),
        "agent" => Some("assignee_id"),
        _ => {
            violations.add("by", "must be team or agent");
            None
        }
    };
    let from = request.from.as_ref().and_then(time::from_timestamp);
    let to = request.to.as_ref().and_then(time::from_timestamp);
    if from.is_none() {
        violations.add("from", "is required");
    }
    if to.is_none() {
        violations.add("to", "is required");
    }
    violations.into_result()?;
    let (key_column, from, to) = (key_column.expect("checked"), from.expect("checked"), to.expect("checked"));
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let previous_from = from - (to - from);
    let sql = format!(
        "SELECT {key_column} AS key, created_at, first_reply_at, first_reply_seconds, solved_at,
             full_resolution_seconds, one_touch, csat, escalated
         FROM ticket_metric_facts
         WHERE ((created_at >= $1 AND created_at < $2) OR (first_reply_at >= $1 AND first_reply_at < $2)
             OR (solved_at >= $1 AND solved_at < $2)) AND ($3 = '' OR team_id = $3)"
    );
    let mut connection = db.reader().acquire().await?;
    let rows =
        sqlx::query(&sql).bind(previous_from).bind(to).bind(&request.team_id).fetch_all(&mut *connection).await?;
    let rows = rows
        .iter()
        .map(|row| {
            let csat: i64 = row.try_get("csat")?;
            Ok(ScoreRow {
                key: row.try_get("key")?,
                created_at: row.try_get("created_at")?,
                first_reply_at: row.try_get("first_reply_at")?,
                first_reply_seconds: row.try_get("first_reply_seconds")?,
                solved_at: row.try_get("solved_at")?,
                full_resolution_seconds: row.try_get("full_resolution_seconds")?,
                one_touch: row.try_get::<i64, _>("one_touch")? == 1,
                csat: match csat {
                    1 => Some(true),
                    2 => Some(false),
                    _ => None,
                },
                escalated: row.try_get::<i64, _>("escalated")? == 1,
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    let cards = scorecards(&rows, from, to)
        .into_iter()
        .map(|(key, (current, previous))| pb::Scorecard {
            key,
            current: Some(wire(current)),
            previous: Some(wire(previous)),
        })
        .collect();
    Ok(pb::GetScorecardsResponse { scorecards: cards })
}

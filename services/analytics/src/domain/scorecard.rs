//! Scorecards: per team or per agent, the numbers a lead reviews for a period, each beside the
//! same number for the period just before (of the same length). Each ticket counts in a period
//! by the instant its metric is dated by: created tickets by creation, replies by the first
//! reply, everything about resolution by the latest solve — the same dating as the series.
use std::collections::BTreeMap;

/// One ticket's row as scorecards read it (instants in microseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub key: String,
    pub created_at: i64,
    pub first_reply_at: Option<i64>,
    pub first_reply_seconds: Option<i64>,
    pub solved_at: Option<i64>,
    pub full_resolution_seconds: Option<i64>,
    pub one_touch: bool,
    /// Some(true) good, Some(false) bad.
    pub csat: Option<bool>,
    pub escalated: bool,
}

/// A period's numbers for one key. Rates and means are None when nothing was there to measure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub tickets_created: i64,
    pub tickets_solved: i64,
    pub mean_first_reply_seconds: Option<f64>,
    pub mean_full_resolution_seconds: Option<f64>,
    pub one_touch_rate: Option<f64>,
    pub csat_score: Option<f64>,
    pub escalation_rate: Option<f64>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn scores<'a>(rows: impl Iterator<Item = &'a ScoreRow> + Clone, from: i64, to: i64) -> Scores {
    let within = |at: Option<i64>| at.is_some_and(|at| at >= from && at < to);
    let created: Vec<&ScoreRow> = rows.clone().filter(|r| within(Some(r.created_at))).collect();
    let solved: Vec<&ScoreRow> = rows.clone().filter(|r| within(r.solved_at)).collect();
    let first_replies: Vec<f64> =
        rows.filter(|r| within(r.first_reply_at)).filter_map(|r| r.first_reply_seconds.map(|s| s as f64)).collect();
    let resolutions: Vec<f64> = solved.iter().filter_map(|r| r.full_resolution_seconds.map(|s| s as f64)).collect();
    let rated: Vec<f64> = solved.iter().filter_map(|r| r.csat.map(|good| if good { 1.0 } else { 0.0 })).collect();
    Scores {
        tickets_created: created.len() as i64,
        tickets_solved: solved.len() as i64,
        mean_first_reply_seconds: mean(&first_replies),
        mean_full_resolution_seconds: mean(&resolutions),
        one_touch_rate: mean(&solved.iter().map(|r| f64::from(u8::from(r.one_touch))).collect::<Vec<_>>()),
        csat_score: mean(&rated),
        escalation_rate: mean(&created.iter().map(|r| f64::from(u8::from(r.escalated))).collect::<Vec<_>>()),
    }
}

/// Per key: the scores of [from, to) and of the period of equal length just before it.
pub fn scorecards(rows: &[ScoreRow], from: i64, to: i64) -> BTreeMap<String, (Scores, Scores)> {
    let previous_from = from - (to - from);
    let mut keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).filter(|k| !k.is_empty()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let mine = rows.iter().filter(move |r| r.key == key);
            (key.to_string(), (scores(mine.clone(), from, to), scores(mine, previous_from, from)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000;

    fn row(
        key: &str,
        created: i64,
        reply: Option<(i64, i64)>,
        solved: Option<(i64, i64)>,
        csat: Option<bool>,
    ) -> ScoreRow {
        ScoreRow {
            key: key.into(),
            created_at: created * HOUR,
            first_reply_at: reply.map(|(at, _)| at * HOUR),
            first_reply_seconds: reply.map(|(_, seconds)| seconds),
            solved_at: solved.map(|(at, _)| at * HOUR),
            full_resolution_seconds: solved.map(|(_, seconds)| seconds),
            one_touch: solved.is_some(),
            csat,
            escalated: false,
        }
    }

    #[test]
    fn each_ticket_counts_in_the_period_of_what_is_measured() {
        // This week is hours 168..336; last week 0..168.
        let rows = [
            row("billing", 100, Some((101, 3600)), Some((200, 100 * 3600)), Some(true)),
            row("billing", 200, Some((201, 1800)), None, None),
            row("billing", 300, None, None, None),
            row("tier1", 170, Some((171, 600)), Some((172, 7200)), Some(false)),
        ];
        let cards = scorecards(&rows, 168 * HOUR, 336 * HOUR);
        let (now, before) = &cards["billing"];
        assert_eq!((now.tickets_created, now.tickets_solved), (2, 1));
        assert_eq!(now.mean_first_reply_seconds, Some(1800.0), "last week's reply counts last week");
        assert_eq!(now.mean_full_resolution_seconds, Some(100.0 * 3600.0));
        assert_eq!(now.csat_score, Some(1.0));
        assert_eq!(
            (before.tickets_created, before.tickets_solved, before.mean_first_reply_seconds),
            (1, 0, Some(3600.0))
        );
        assert_eq!(before.csat_score, None, "nothing was rated");
        assert_eq!(cards["tier1"].0.csat_score, Some(0.0));
        assert_eq!(cards.len(), 2);
    }
}

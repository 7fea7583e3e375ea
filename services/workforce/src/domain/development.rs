//! Development records: their checks, QA's weighted score, and who may read what is private.
use frontline_shared::{ApiError, ApiResult, error::Violations};
use serde::{Deserialize, Serialize};

use super::check_length;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub key: String,
    pub title: String,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionScore {
    pub key: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    pub text: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub description: String,
    pub rating: i64,
}

pub fn check_scorecard(name: &str, criteria: &[Criterion]) -> ApiResult<()> {
    let mut violations = Violations::new();
    violations.check(!name.trim().is_empty(), "scorecard.name", "must not be empty");
    check_length(&mut violations, "scorecard.name", name, 200);
    violations.check(
        !criteria.is_empty() && criteria.len() <= 50,
        "scorecard.criteria",
        "a scorecard has 1 to 50 criteria",
    );
    for (index, criterion) in criteria.iter().enumerate() {
        let field = format!("scorecard.criteria[{index}]");
        violations.check(
            !criterion.key.is_empty() && criterion.key.len() <= 64,
            &format!("{field}.key"),
            "must be 1–64 characters",
        );
        violations.check(
            criterion.weight.is_finite() && criterion.weight > 0.0,
            &format!("{field}.weight"),
            "must be a positive number",
        );
        if criteria[..index].iter().any(|earlier| earlier.key == criterion.key) {
            violations.add(format!("{field}.key"), "is given twice");
        }
    }
    violations.into_result()
}

/// The weighted mean of `scores` against `criteria`: every criterion scored once, 0 to 100.
pub fn weighted_total(criteria: &[Criterion], scores: &[CriterionScore]) -> ApiResult<f64> {
    let mut violations = Violations::new();
    for (index, score) in scores.iter().enumerate() {
        if !criteria.iter().any(|c| c.key == score.key) {
            violations.add(
                format!("review.scores[{index}].key"),
                format!("`{}` is not a criterion of this scorecard", score.key),
            );
        }
        violations.check(
            (0.0..=100.0).contains(&score.score),
            &format!("review.scores[{index}].score"),
            "must be 0 to 100",
        );
        if scores[..index].iter().any(|earlier| earlier.key == score.key) {
            violations.add(format!("review.scores[{index}].key"), "is scored twice");
        }
    }
    for criterion in criteria {
        if !scores.iter().any(|s| s.key == criterion.key) {
            violations.add("review.scores", format!("`{}` is not scored", criterion.key));
        }
    }
    violations.into_result()?;
    let weight: f64 = criteria.iter().map(|c| c.weight).sum();
    let total: f64 =
        criteria.iter().map(|c| c.weight * scores.iter().find(|s| s.key == c.key).map_or(0.0, |s| s.score)).sum();
    Ok(total / weight)
}

pub fn check_review(
    period_start: i64,
    period_end: i64,
    goals: &[Goal],
    overall_rating: i64,
    summary: &str,
) -> ApiResult<()> {
    let mut violations = Violations::new();
    violations.check(period_end > period_start, "review.period_end", "must be after period_start");
    violations.check((1..=5).contains(&overall_rating), "review.overall_rating", "must be 1 to 5");
    violations.check(goals.len() <= 50, "review.goals", "at most 50 goals");
    for (index, goal) in goals.iter().enumerate() {
        violations.check(
            !goal.description.trim().is_empty(),
            &format!("review.goals[{index}].description"),
            "must not be empty",
        );
        violations.check((1..=5).contains(&goal.rating), &format!("review.goals[{index}].rating"), "must be 1 to 5");
    }
    check_length(&mut violations, "review.summary", summary, 20_000);
    violations.into_result()
}

pub fn check_coaching(notes: &str, action_items: &[ActionItem]) -> ApiResult<()> {
    let mut violations = Violations::new();
    violations.check(
        !notes.trim().is_empty() || !action_items.is_empty(),
        "session.notes",
        "a session records notes or action items",
    );
    check_length(&mut violations, "session.notes", notes, 20_000);
    violations.check(action_items.len() <= 50, "session.action_items", "at most 50 action items");
    violations.check(
        action_items.iter().all(|item| !item.text.trim().is_empty()),
        "session.action_items",
        "action items must have text",
    );
    violations.into_result()
}

pub fn check_kudos(from: &str, to: &str, message: &str) -> ApiResult<()> {
    if from == to {
        return Err(ApiError::invalid("kudos.to_person_id", "kudos go to someone else"));
    }
    let mut violations = Violations::new();
    violations.check(!message.trim().is_empty(), "kudos.message", "must not be empty");
    check_length(&mut violations, "kudos.message", message, 2000);
    violations.into_result()
}

/// Whether `reader` may read `person`'s private records, given the person's management line
/// (their manager, that manager's manager, … upwards).
pub fn may_read_private(reader: &str, reader_is_director: bool, person: &str, management_line: &[String]) -> bool {
    reader == person || reader_is_director || management_line.iter().any(|manager| manager == reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(key: &str, weight: f64) -> Criterion {
        Criterion { key: key.into(), title: key.into(), weight }
    }

    fn score(key: &str, score: f64) -> CriterionScore {
        CriterionScore { key: key.into(), score }
    }

    #[test]
    fn the_qa_total_is_the_weighted_mean() {
        let criteria = [criterion("empathy", 1.0), criterion("accuracy", 3.0)];
        let total = weighted_total(&criteria, &[score("empathy", 60.0), score("accuracy", 100.0)]).unwrap();
        assert!((total - 90.0).abs() < 1e-9);
    }

    #[test]
    fn every_criterion_is_scored_once_within_range() {
        let criteria = [criterion("empathy", 1.0), criterion("accuracy", 1.0)];
        let error = weighted_total(&criteria, &[score("empathy", 120.0), score("tone", 50.0)]).unwrap_err().to_string();
        for part in ["review.scores[0].score", "review.scores[1].key", "`accuracy` is not scored"] {
            assert!(error.contains(part), "{error}");
        }
    }

    #[test]
    fn private_records_are_for_the_person_their_line_and_directors() {
        let line = vec!["lead-ewa".to_string(), "manager-piotr".to_string()];
        assert!(may_read_private("agent-ola", false, "agent-ola", &line));
        assert!(may_read_private("manager-piotr", false, "agent-ola", &line), "the manager's manager too");
        assert!(may_read_private("director-anna", true, "agent-ola", &line));
        assert!(!may_read_private("agent-tom", false, "agent-ola", &line), "not a colleague");
        assert!(!may_read_private("lead-other", false, "agent-ola", &line), "not another team's lead");
    }

    #[test]
    fn kudos_go_to_someone_else() {
        assert!(check_kudos("a", "a", "great job").is_err());
        assert!(check_kudos("a", "b", "").is_err());
        assert!(check_kudos("a", "b", "Thanks for covering my shift!").is_ok());
    }
}

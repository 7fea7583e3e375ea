//! Workforce metrics: who holds a valid certification at an instant, and QA score averages —
//! exactly as the README defines them.
use std::collections::{BTreeMap, BTreeSet};

use super::knowledge_metrics::rate;

/// A person as the workforce feed last showed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub person_id: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub person_id: String,
    pub name: String,
    pub issued_at: i64,
    /// None: does not expire.
    pub expires_at: Option<i64>,
}

impl Certification {
    /// Issued at or before `at` and not yet expired at `at`.
    pub fn valid_at(&self, at: i64) -> bool {
        self.issued_at <= at && self.expires_at.is_none_or(|expires| at < expires)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub name: String,
    pub holders: i64,
    pub people: i64,
}

impl Coverage {
    pub fn coverage(&self) -> Option<f64> {
        rate(self.holders, self.people)
    }
}

/// Per certification name anyone in `people` has held (by name), and overall: the active people
/// holding a valid certification of that name (at least one, overall) at `at`, over the active
/// people.
pub fn certification_coverage(
    people: &[Person],
    certifications: &[Certification],
    at: i64,
) -> (Vec<Coverage>, Coverage) {
    let active: BTreeSet<&str> = people.iter().filter(|p| p.active).map(|p| p.person_id.as_str()).collect();
    let in_scope: BTreeSet<&str> = people.iter().map(|p| p.person_id.as_str()).collect();
    let mut holders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut certified: BTreeSet<&str> = BTreeSet::new();
    for certification in certifications.iter().filter(|c| in_scope.contains(c.person_id.as_str())) {
        let names_holders = holders.entry(certification.name.as_str()).or_default();
        let person = certification.person_id.as_str();
        if certification.valid_at(at) && active.contains(person) {
            names_holders.insert(person);
            certified.insert(person);
        }
    }
    let people = active.len() as i64;
    let per_name = holders
        .into_iter()
        .map(|(name, holders)| Coverage { name: name.to_string(), holders: holders.len() as i64, people })
        .collect();
    (per_name, Coverage { name: String::new(), holders: certified.len() as i64, people })
}

/// One QA review's weighted total (0–100), with its agent and the agent's team when scored.
#[derive(Debug, Clone, PartialEq)]
pub struct QaScore {
    pub agent_id: String,
    pub team_id: String,
    pub total: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QaAverage {
    pub key: String,
    pub reviews: i64,
    sum: f64,
}

impl QaAverage {
    /// The mean of the reviews' totals (each review weighs the same).
    pub fn mean_score(&self) -> Option<f64> {
        (self.reviews > 0).then(|| self.sum / self.reviews as f64)
    }

    fn add(&mut self, total: f64) {
        self.reviews += 1;
        self.sum += total;
    }
}

/// QA averages by agent and by team (both by key), and over every score.
pub fn qa_averages(scores: &[QaScore]) -> (Vec<QaAverage>, Vec<QaAverage>, QaAverage) {
    let mut by_agent: BTreeMap<&str, QaAverage> = BTreeMap::new();
    let mut by_team: BTreeMap<&str, QaAverage> = BTreeMap::new();
    let mut overall = QaAverage::default();
    for score in scores {
        let agent = by_agent
            .entry(&score.agent_id)
            .or_insert_with(|| QaAverage { key: score.agent_id.clone(), ..QaAverage::default() });
        agent.add(score.total);
        let team = by_team
            .entry(&score.team_id)
            .or_insert_with(|| QaAverage { key: score.team_id.clone(), ..QaAverage::default() });
        team.add(score.total);
        overall.add(score.total);
    }
    (by_agent.into_values().collect(), by_team.into_values().collect(), overall)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000;

    fn person(id: &str, active: bool) -> Person {
        Person { person_id: id.into(), active }
    }

    fn certification(person: &str, name: &str, issued_at: i64, expires_at: Option<i64>) -> Certification {
        Certification { person_id: person.into(), name: name.into(), issued_at, expires_at }
    }

    #[test]
    fn a_certification_is_valid_from_its_issue_until_the_instant_it_expires() {
        let gdpr = certification("ola", "GDPR", 10 * DAY, Some(20 * DAY));
        assert!(!gdpr.valid_at(10 * DAY - 1));
        assert!(gdpr.valid_at(10 * DAY));
        assert!(gdpr.valid_at(20 * DAY - 1));
        assert!(!gdpr.valid_at(20 * DAY), "expired at the instant of expiry");
        assert!(certification("ola", "Product", 0, None).valid_at(1000 * DAY));
    }

    #[test]
    fn coverage_counts_active_holders_of_valid_certifications_over_active_people() {
        let people = [person("ola", true), person("tom", true), person("ewa", true), person("gone", false)];
        let certifications = [
            certification("ola", "GDPR", 0, Some(30 * DAY)),
            certification("tom", "GDPR", 0, Some(5 * DAY)), // expired at day 10
            certification("tom", "GDPR", 20 * DAY, None),   // renewed later: not yet issued at day 10
            certification("ewa", "Product", 0, None),
            certification("ola", "Product", 0, None),
            certification("gone", "Product", 0, None), // not active: neither holder nor counted
            certification("elsewhere", "Security", 0, None), // not in scope
        ];
        let (per_name, overall) = certification_coverage(&people, &certifications, 10 * DAY);
        let summary: Vec<(&str, i64, i64)> = per_name.iter().map(|c| (c.name.as_str(), c.holders, c.people)).collect();
        assert_eq!(summary, [("GDPR", 1, 3), ("Product", 2, 3)]);
        assert_eq!(per_name[0].coverage(), Some(1.0 / 3.0));
        assert_eq!((overall.holders, overall.people), (2, 3), "Ola and Ewa hold at least one");
        let (_, overall) = certification_coverage(&people, &certifications, 25 * DAY);
        assert_eq!(overall.holders, 3, "Tom renewed");
    }

    #[test]
    fn coverage_of_nobody_is_unset() {
        let (per_name, overall) = certification_coverage(&[], &[], 0);
        assert!(per_name.is_empty());
        assert_eq!(overall.coverage(), None);
    }

    #[test]
    fn qa_averages_weigh_every_review_the_same() {
        let score = |agent: &str, team: &str, total| QaScore { agent_id: agent.into(), team_id: team.into(), total };
        let (agents, teams, overall) = qa_averages(&[
            score("ola", "tier1", 90.0),
            score("ola", "tier1", 70.0),
            score("tom", "tier1", 50.0),
            score("ann", "tier2", 100.0),
        ]);
        let means =
            |list: &[QaAverage]| list.iter().map(|a| (a.key.clone(), a.reviews, a.mean_score())).collect::<Vec<_>>();
        assert_eq!(
            means(&agents),
            [("ann".into(), 1, Some(100.0)), ("ola".into(), 2, Some(80.0)), ("tom".into(), 1, Some(50.0))]
        );
        assert_eq!(means(&teams), [("tier1".into(), 3, Some(70.0)), ("tier2".into(), 1, Some(100.0))]);
        assert_eq!((overall.reviews, overall.mean_score()), (4, Some(77.5)));
        assert_eq!(QaAverage::default().mean_score(), None);
    }
}

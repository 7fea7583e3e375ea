//! Choosing the agent for a new ticket among those on shift: round robin, least open load, or
//! skills (language and product), each bounded by a per-agent capacity. Pure: the caller brings
//! who is on shift (from workforce) and how loaded each is (from ticketing's own tables).
use frontline_shared::{ApiResult, error::Violations};

numbered_enum!(Strategy { RoundRobin = 1, LeastOpenLoad = 2, SkillsBased = 3 });

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round robin",
            Strategy::LeastOpenLoad => "least open load",
            Strategy::SkillsBased => "skills-based",
        }
    }
}

pub const DEFAULT_PRODUCT_FIELD: &str = "product";

#[derive(Debug, Clone, PartialEq)]
pub struct TeamRouting {
    pub team_id: String,
    pub strategy: Strategy,
    /// 0: no limit.
    pub capacity_per_agent: i64,
    pub product_field: String,
    /// The agent who got the team's previous ticket (round robin continues after them).
    pub last_assignee_id: String,
    pub revision: i64,
    pub updated_at: i64,
}

impl TeamRouting {
    pub fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        if self.team_id.trim().is_empty() {
            violations.add("routing.team_id", "is required");
        }
        if !(0..=10_000).contains(&self.capacity_per_agent) {
            violations.add("routing.capacity_per_agent", "must be from 0 (no limit) to 10000");
        }
        violations.into_result()
    }
}

/// An agent on shift, with what routing weighs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub agent_id: String,
    /// Unsolved tickets assigned to them.
    pub open_load: i64,
    /// 0 when they lack the skill.
    pub language_proficiency: i64,
    pub product_proficiency: i64,
}

/// What skills-based routing needs of an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// The ticket's language (primary subtag, lower-case), if it has one.
    pub language: Option<String>,
    pub product: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Agent(String),
    /// Nobody fits: the ticket waits in the team's queue, for this reason.
    Queue(String),
}

/// The language a ticket is written in, as a skill name: "pl" for "pl-PL".
pub fn language_of(locale: &str) -> Option<String> {
    let primary = locale.split(['-', '_']).next()?.trim().to_lowercase();
    (!primary.is_empty()).then_some(primary)
}

pub fn choose(routing: &TeamRouting, needs: &Needs, candidates: &[Candidate]) -> Choice {
    if candidates.is_empty() {
        return Choice::Queue("nobody in the team is on shift now".into());
    }
    let capacity = routing.capacity_per_agent;
    let mut open: Vec<&Candidate> = candidates.iter().filter(|c| capacity == 0 || c.open_load < capacity).collect();
    if open.is_empty() {
        return Choice::Queue(format!("every agent on shift already holds {capacity} unsolved tickets"));
    }
    open.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    let chosen = match routing.strategy {
        Strategy::RoundRobin => {
            let next = open.iter().find(|c| c.agent_id.as_str() > routing.last_assignee_id.as_str());
            next.or(open.first()).copied()
        }
        Strategy::LeastOpenLoad => open.iter().min_by_key(|c| c.open_load).copied(),
        Strategy::SkillsBased => {
            let skilled: Vec<&&Candidate> = open
                .iter()
                .filter(|c| needs.language.is_none() || c.language_proficiency > 0)
                .filter(|c| needs.product.is_none() || c.product_proficiency > 0)
                .collect();
            if skilled.is_empty() {
                let wanted: Vec<&str> =
                    [needs.language.as_deref(), needs.product.as_deref()].into_iter().flatten().collect();
                return Choice::Queue(format!("no agent on shift has the skills {}", wanted.join(" and ")));
            }
            skilled
                .into_iter()
                .min_by_key(|c| (-(c.language_proficiency + c.product_proficiency), c.open_load))
                .copied()
        }
    };
    match chosen {
        Some(candidate) => Choice::Agent(candidate.agent_id.clone()),
        None => Choice::Queue("nobody in the team is on shift now".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routing(strategy: Strategy, capacity: i64, last: &str) -> TeamRouting {
        TeamRouting {
            team_id: "tier1".into(),
            strategy,
            capacity_per_agent: capacity,
            product_field: DEFAULT_PRODUCT_FIELD.into(),
            last_assignee_id: last.into(),
            revision: 1,
            updated_at: 0,
        }
    }

    fn agent(id: &str, load: i64, language: i64, product: i64) -> Candidate {
        Candidate { agent_id: id.into(), open_load: load, language_proficiency: language, product_proficiency: product }
    }

    #[test]
    fn round_robin_continues_after_the_previous_agent_and_wraps() {
        let team = [agent("ola", 5, 0, 0), agent("marek", 0, 0, 0), agent("tom", 1, 0, 0)];
        let needs = Needs::default();
        assert_eq!(choose(&routing(Strategy::RoundRobin, 0, ""), &needs, &team), Choice::Agent("marek".into()));
        assert_eq!(choose(&routing(Strategy::RoundRobin, 0, "marek"), &needs, &team), Choice::Agent("ola".into()));
        assert_eq!(choose(&routing(Strategy::RoundRobin, 0, "tom"), &needs, &team), Choice::Agent("marek".into()));
        assert_eq!(
            choose(&routing(Strategy::RoundRobin, 3, "marek"), &needs, &team),
            Choice::Agent("tom".into()),
            "ola is full"
        );
    }

    #[test]
    fn least_load_takes_the_emptiest_hands_and_capacity_can_close_the_team() {
        let team = [agent("ola", 2, 0, 0), agent("marek", 1, 0, 0)];
        let needs = Needs::default();
        assert_eq!(choose(&routing(Strategy::LeastOpenLoad, 0, ""), &needs, &team), Choice::Agent("marek".into()));
        assert!(matches!(choose(&routing(Strategy::LeastOpenLoad, 1, ""), &needs, &team), Choice::Queue(_)));
        assert!(matches!(choose(&routing(Strategy::LeastOpenLoad, 0, ""), &needs, &[]), Choice::Queue(_)));
    }

    #[test]
    fn skills_want_the_language_and_product_then_proficiency_then_load() {
        let team = [agent("ola", 3, 5, 3), agent("marek", 0, 3, 3), agent("tom", 0, 0, 5)];
        let needs = Needs { language: Some("pl".into()), product: Some("invoicing".into()) };
        assert_eq!(choose(&routing(Strategy::SkillsBased, 0, ""), &needs, &team), Choice::Agent("ola".into()));
        assert_eq!(choose(&routing(Strategy::SkillsBased, 3, ""), &needs, &team), Choice::Agent("marek".into()));
        let hebrew = Needs { language: Some("he".into()), product: None };
        let Choice::Queue(why) = choose(&routing(Strategy::SkillsBased, 0, ""), &hebrew, &[agent("tom", 0, 0, 5)])
        else {
            panic!()
        };
        assert!(why.contains("he"), "{why}");
    }

    #[test]
    fn a_locale_names_its_language() {
        assert_eq!(language_of("pl-PL").as_deref(), Some("pl"));
        assert_eq!(language_of("zh_Hans").as_deref(), Some("zh"));
        assert_eq!(language_of(""), None);
    }
}

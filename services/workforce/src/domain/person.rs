//! People in the support organisation: their role, reporting line, team, skills and cost, and
//! the career history that role, team and manager changes leave behind.
use frontline_proto::limits::workforce as limits;
use frontline_shared::{ApiResult, error::Violations, field_mask};
use serde::{Deserialize, Serialize};

use super::{check_length, check_time_zone, numbered_enum};

numbered_enum!(
    /// Ordered by seniority, agent to chief customer officer.
    PersonRole {
        Agent = 1,
        SeniorAgent = 2,
        TeamLead = 3,
        Supervisor = 4,
        CustomerServiceAdministrator = 5,
        Manager = 6,
        Director = 7,
        VicePresident = 8,
        ChiefCustomerOfficer = 9,
    }
);
numbered_enum!(EmploymentStatus { Active = 1, OnLeave = 2, Terminated = 3 });
numbered_enum!(SkillKind { Language = 1, Product = 2, Channel = 3 });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
    pub kind: SkillKind,
    /// 1 (learning) to 5 (expert).
    pub proficiency: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Money {
    pub currency: String,
    pub minor_units: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonFields {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Option<PersonRole>,
    pub manager_id: String,
    pub team_id: String,
    pub time_zone: String,
    pub employment_status: Option<EmploymentStatus>,
    pub hourly_cost: Option<Money>,
    pub skills: Vec<Skill>,
    pub external_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: PersonRole,
    pub manager_id: String,
    pub team_id: String,
    pub time_zone: String,
    pub employment_status: EmploymentStatus,
    pub hourly_cost: Money,
    pub skills: Vec<Skill>,
    pub external_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

/// A step of a career; the first one records the hire.
#[derive(Debug, Clone, PartialEq)]
pub struct CareerEvent {
    pub person_id: String,
    pub from_role: Option<PersonRole>,
    pub to_role: PersonRole,
    pub from_team_id: String,
    pub to_team_id: String,
    pub from_manager_id: String,
    pub to_manager_id: String,
    pub at: i64,
    pub recorded_by: String,
}

pub const UPDATABLE_FIELDS: &[&str] = &[
    "name",
    "email",
    "role",
    "manager_id",
    "team_id",
    "time_zone",
    "employment_status",
    "hourly_cost",
    "skills",
    "external_id",
];
pub const MAX_SKILLS: usize = limits::PERSON_SKILLS_MAX_ITEMS;

impl Person {
    pub fn create(fields: PersonFields, now: i64) -> ApiResult<Person> {
        let person = Person {
            id: fields.id.trim().to_string(),
            name: fields.name.trim().to_string(),
            email: fields.email.trim().to_lowercase(),
            role: fields.role.unwrap_or(PersonRole::Agent),
            manager_id: fields.manager_id,
            team_id: fields.team_id,
            time_zone: if fields.time_zone.is_empty() { "UTC".into() } else { fields.time_zone },
            employment_status: fields.employment_status.unwrap_or(EmploymentStatus::Active),
            hourly_cost: fields.hourly_cost.unwrap_or_default(),
            skills: normalise_skills(fields.skills),
            external_id: fields.external_id.trim().to_string(),
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        person.check()?;
        Ok(person)
    }

    /// The career event of a hire.
    pub fn hired(&self, recorded_by: &str) -> CareerEvent {
        CareerEvent {
            person_id: self.id.clone(),
            from_role: None,
            to_role: self.role,
            from_team_id: String::new(),
            to_team_id: self.team_id.clone(),
            from_manager_id: String::new(),
            to_manager_id: self.manager_id.clone(),
            at: self.created_at,
            recorded_by: recorded_by.into(),
        }
    }

    /// Applies the masked fields; a change of role, team or manager is a career event.
    pub fn update(
        &self,
        fields: &PersonFields,
        paths: &[String],
        recorded_by: &str,
        now: i64,
    ) -> ApiResult<(Person, Vec<&'static str>, Option<CareerEvent>)> {
        let paths = field_mask::resolve(paths, UPDATABLE_FIELDS, |path| match path {
            "name" => !fields.name.is_empty(),
            "email" => !fields.email.is_empty(),
            "role" => fields.role.is_some(),
            "manager_id" => !fields.manager_id.is_empty(),
            "team_id" => !fields.team_id.is_empty(),
            "time_zone" => !fields.time_zone.is_empty(),
            "employment_status" => fields.employment_status.is_some(),
            "hourly_cost" => fields.hourly_cost.is_some(),
            "skills" => !fields.skills.is_empty(),
            "external_id" => !fields.external_id.is_empty(),
            _ => false,
        })?;
        let mut next = self.clone();
        for path in paths {
            match path {
                "name" => next.name = fields.name.trim().to_string(),
                "email" => next.email = fields.email.trim().to_lowercase(),
                "role" => next.role = fields.role.unwrap_or(self.role),
                "manager_id" => next.manager_id = fields.manager_id.clone(),
                "team_id" => next.team_id = fields.team_id.clone(),
                "time_zone" => {
                    next.time_zone = if fields.time_zone.is_empty() { "UTC".into() } else { fields.time_zone.clone() }
                }
                "employment_status" => {
                    next.employment_status = fields.employment_status.unwrap_or(self.employment_status)
                }
                "hourly_cost" => next.hourly_cost = fields.hourly_cost.clone().unwrap_or_default(),
                "skills" => next.skills = normalise_skills(fields.skills.clone()),
                "external_id" => next.external_id = fields.external_id.trim().to_string(),
                other => unreachable!("not an updatable person field: {other}"),
            }
        }
        next.check()?;
        let mut changed = Vec::new();
        for (name, differs) in [
            ("name", self.name != next.name),
            ("email", self.email != next.email),
            ("role", self.role != next.role),
            ("manager_id", self.manager_id != next.manager_id),
            ("team_id", self.team_id != next.team_id),
            ("time_zone", self.time_zone != next.time_zone),
            ("employment_status", self.employment_status != next.employment_status),
            ("hourly_cost", self.hourly_cost != next.hourly_cost),
            ("skills", self.skills != next.skills),
            ("external_id", self.external_id != next.external_id),
        ] {
            if differs {
                changed.push(name);
            }
        }
        if !changed.is_empty() {
            next.updated_at = now;
            next.revision = self.revision + 1;
        }
        let career =
            changed.iter().any(|field| matches!(*field, "role" | "team_id" | "manager_id")).then(|| CareerEvent {
                person_id: self.id.clone(),
                from_role: Some(self.role),
                to_role: next.role,
                from_team_id: self.team_id.clone(),
                to_team_id: next.team_id.clone(),
                from_manager_id: self.manager_id.clone(),
                to_manager_id: next.manager_id.clone(),
                at: now,
                recorded_by: recorded_by.into(),
            });
        Ok((next, changed, career))
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// The person's proficiency in `skill`, if they have it.
    pub fn proficiency(&self, skill: &str) -> Option<i64> {
        self.skills.iter().find(|s| s.name == skill).map(|s| s.proficiency)
    }

    fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
        violations.check(id_ok, "person.id", "must be 1–64 letters, digits, -, _, . or @");
        violations.check(!self.name.is_empty(), "person.name", "must not be empty");
        check_length(&mut violations, "person.name", &self.name, 255);
        violations.check(self.email.is_empty() || self.email.contains('@'), "person.email", "is not an email address");
        violations.check(self.manager_id != self.id, "person.manager_id", "a person cannot manage themselves");
        check_time_zone(&mut violations, "person.time_zone", &self.time_zone);
        let currency_ok = self.hourly_cost.currency.is_empty() && self.hourly_cost.minor_units == 0
            || (self.hourly_cost.currency.len() == 3
                && self.hourly_cost.currency.chars().all(|c| c.is_ascii_uppercase()));
        violations.check(currency_ok, "person.hourly_cost.currency_code", "must be an ISO 4217 code such as EUR");
        violations.check(self.hourly_cost.minor_units >= 0, "person.hourly_cost.minor_units", "must not be negative");
        violations.check(self.skills.len() <= MAX_SKILLS, "person.skills", "at most 50 skills");
        for skill in &self.skills {
            violations.check(
                !skill.name.is_empty() && skill.name.len() <= 64,
                "person.skills",
                "each skill needs a name of at most 64 characters",
            );
            violations.check(
                (1..=5).contains(&skill.proficiency),
                "person.skills",
                &format!("proficiency of `{}` must be 1 to 5", skill.name),
            );
        }
        violations.into_result()
    }
}

/// Skill names are lower-case and unique (the last mention wins), sorted.
fn normalise_skills(skills: Vec<Skill>) -> Vec<Skill> {
    let mut normalised: Vec<Skill> = Vec::new();
    for skill in skills {
        let name = skill.name.trim().to_lowercase();
        normalised.retain(|s| s.name != name);
        normalised.push(Skill { name, ..skill });
    }
    normalised.sort_by(|a, b| a.name.cmp(&b.name));
    normalised
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ola() -> PersonFields {
        PersonFields {
            id: "agent-ola".into(),
            name: "Ola Kamińska".into(),
            team_id: "tier1".into(),
            time_zone: "Europe/Warsaw".into(),
            skills: vec![Skill { name: "PL".into(), kind: SkillKind::Language, proficiency: 5 }],
            ..Default::default()
        }
    }

    #[test]
    fn a_promotion_is_a_career_event() {
        let person = Person::create(ola(), 0).unwrap();
        assert_eq!(person.proficiency("pl"), Some(5));
        let promoted = PersonFields { role: Some(PersonRole::SeniorAgent), ..Default::default() };
        let (next, changed, career) = person.update(&promoted, &["role".into()], "lead-1", 10).unwrap();
        assert_eq!((next.role, changed), (PersonRole::SeniorAgent, vec!["role"]));
        let career = career.unwrap();
        assert_eq!(
            (career.from_role, career.to_role, career.recorded_by.as_str()),
            (Some(PersonRole::Agent), PersonRole::SeniorAgent, "lead-1")
        );
        let (_, _, none) = person
            .update(&PersonFields { name: "Ola K.".into(), ..Default::default() }, &["name".into()], "x", 10)
            .unwrap();
        assert!(none.is_none(), "a rename is not a career step");
    }

    #[test]
    fn bad_people_are_named_field_by_field() {
        let error = Person::create(
            PersonFields {
                id: "has space".into(),
                time_zone: "Mars/Olympus".into(),
                skills: vec![Skill { name: "pl".into(), kind: SkillKind::Language, proficiency: 9 }],
                ..Default::default()
            },
            0,
        )
        .unwrap_err()
        .to_string();
        for field in ["person.id", "person.name", "person.time_zone", "person.skills"] {
            assert!(error.contains(field), "{error}");
        }
    }
}

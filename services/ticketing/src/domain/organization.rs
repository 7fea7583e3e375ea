//! Organisations: the companies customers belong to.
use frontline_shared::{ApiResult, error::Violations};

use super::{field_mask, validate};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrganizationFields {
    pub name: String,
    pub domains: Vec<String>,
    pub notes: String,
    pub external_id: String,
    pub shared_tickets: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// Lower-cased, without a leading @.
    pub domains: Vec<String>,
    pub notes: String,
    pub external_id: String,
    /// Its people (end users) see each other's tickets.
    pub shared_tickets: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

pub const UPDATABLE_FIELDS: &[&str] = &["name", "domains", "notes", "external_id", "shared_tickets"];

impl Organization {
    pub fn create(id: String, fields: OrganizationFields, now: i64) -> ApiResult<Self> {
        let organization = Organization {
            id,
            name: fields.name.trim().to_string(),
            domains: normalise_domains(&fields.domains),
            notes: fields.notes,
            external_id: fields.external_id.trim().to_string(),
            shared_tickets: fields.shared_tickets,
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        organization.check()?;
        Ok(organization)
    }

    /// Applies the masked fields (all of them when `paths` is None: an upsert).
    pub fn update(
        &self,
        fields: &OrganizationFields,
        paths: Option<&[String]>,
        now: i64,
    ) -> ApiResult<(Self, Vec<&'static str>)> {
        let paths = match paths {
            Some(paths) => field_mask::resolve(paths, UPDATABLE_FIELDS, |path| match path {
                "name" => !fields.name.is_empty(),
                "domains" => !fields.domains.is_empty(),
                "notes" => !fields.notes.is_empty(),
                "external_id" => !fields.external_id.is_empty(),
                "shared_tickets" => fields.shared_tickets,
                _ => false,
            })?,
            None => UPDATABLE_FIELDS.to_vec(),
        };
        let mut next = self.clone();
        for path in paths {
            match path {
                "name" => next.name = fields.name.trim().to_string(),
                "domains" => next.domains = normalise_domains(&fields.domains),
                "notes" => next.notes = fields.notes.clone(),
                "external_id" => next.external_id = fields.external_id.trim().to_string(),
                "shared_tickets" => next.shared_tickets = fields.shared_tickets,
                other => unreachable!("not an updatable organisation field: {other}"),
            }
        }
        next.check()?;
        let mut changed = Vec::new();
        for (name, differs) in [
            ("name", self.name != next.name),
            ("domains", self.domains != next.domains),
            ("notes", self.notes != next.notes),
            ("external_id", self.external_id != next.external_id),
            ("shared_tickets", self.shared_tickets != next.shared_tickets),
        ] {
            if differs {
                changed.push(name);
            }
        }
        if !changed.is_empty() {
            next.updated_at = now;
            next.revision = self.revision + 1;
        }
        Ok((next, changed))
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        violations.check(!self.name.is_empty(), "organization.name", "must not be empty");
        validate::max_chars(&mut violations, "organization.name", &self.name, 255);
        validate::max_chars(&mut violations, "organization.notes", &self.notes, 10_000);
        validate::external_id(&mut violations, "organization.external_id", &self.external_id);
        violations.check(self.domains.len() <= 50, "organization.domains", "at most 50 domains");
        for domain in &self.domains {
            let ok = domain.contains('.')
                && domain.len() <= 253
                && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
                && !domain.starts_with('.')
                && !domain.ends_with('.');
            violations.check(ok, "organization.domains", &format!("`{domain}` is not a domain such as example.com"));
        }
        violations.into_result()
    }
}

fn normalise_domains(domains: &[String]) -> Vec<String> {
    let mut normalised: Vec<String> =
        domains.iter().map(|d| d.trim().trim_start_matches('@').to_lowercase()).filter(|d| !d.is_empty()).collect();
    normalised.sort();
    normalised.dedup();
    normalised
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        let organization = Organization::create(
            "o".into(),
            OrganizationFields {
                name: "Kowalski Logistyka".into(),
                domains: vec!["@Kowalski.PL".into(), "kowalski.pl".into()],
                ..Default::default()
            },
            0,
        )
        .unwrap();
        assert_eq!(organization.domains, ["kowalski.pl"]);
        let error = Organization::create(
            "o".into(),
            OrganizationFields { name: String::new(), domains: vec!["nope".into()], ..Default::default() },
            0,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("organization.name") && error.contains("organization.domains"), "{error}");
    }
}

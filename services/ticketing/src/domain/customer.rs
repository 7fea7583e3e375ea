//! What a customer (a contact, a requester) is, and how one is created or changed.
use frontline_proto::limits::ticketing as limits;
use frontline_shared::{ApiError, ApiResult, error::Violations};

use super::{field_mask, validate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CustomerTier {
    Standard = 1,
    Priority = 2,
    Vip = 3,
}

impl CustomerTier {
    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(number: i64) -> Option<Self> {
        match number {
            1 => Some(Self::Standard),
            2 => Some(Self::Priority),
            3 => Some(Self::Vip),
            _ => None,
        }
    }
}

/// The fields a caller sets, as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerFields {
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub locale: String,
    pub time_zone: String,
    pub tier: Option<CustomerTier>,
    pub notes: String,
    pub external_id: String,
    pub organization_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: String,
    pub name: String,
    /// Lower-cased; the first is the primary address.
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub locale: String,
    pub time_zone: String,
    pub tier: CustomerTier,
    pub notes: String,
    pub external_id: String,
    pub organization_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
    /// Set when this customer was merged into another; a merged customer takes no changes.
    pub merged_into_id: String,
}

pub const UPDATABLE_FIELDS: &[&str] =
    &["name", "emails", "phones", "locale", "time_zone", "tier", "notes", "external_id", "organization_id"];

pub const MAX_EMAILS: usize = limits::CUSTOMER_EMAILS_MAX_ITEMS;

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerChange {
    pub customer: Customer,
    pub changed_fields: Vec<&'static str>,
}

impl Customer {
    pub fn create(id: String, fields: CustomerFields, now: i64) -> ApiResult<Customer> {
        check_email_count(&fields.emails)?;
        let customer = Customer {
            id,
            name: fields.name.trim().to_string(),
            emails: normalise_emails(&fields.emails),
            phones: fields.phones.iter().map(|phone| phone.trim().to_string()).collect(),
            locale: fields.locale,
            time_zone: fields.time_zone,
            tier: fields.tier.unwrap_or(CustomerTier::Standard),
            notes: fields.notes,
            external_id: fields.external_id.trim().to_string(),
            organization_id: fields.organization_id,
            created_at: now,
            updated_at: now,
            revision: 1,
            merged_into_id: String::new(),
        };
        customer.check()?;
        Ok(customer)
    }

    pub fn update(&self, fields: &CustomerFields, paths: &[String], now: i64) -> ApiResult<CustomerChange> {
        let paths = field_mask::resolve(paths, UPDATABLE_FIELDS, |path| is_populated(fields, path))?;
        self.apply(fields, &paths, now)
    }

    /// An upsert writes every field as given: the CRM's record is the truth.
    pub fn replace(&self, fields: &CustomerFields, now: i64) -> ApiResult<CustomerChange> {
        self.apply(fields, UPDATABLE_FIELDS, now)
    }

    fn apply(&self, fields: &CustomerFields, paths: &[&'static str], now: i64) -> ApiResult<CustomerChange> {
        if paths.contains(&"emails") {
            check_email_count(&fields.emails)?;
        }
        self.check_not_merged()?;
        let mut next = self.clone();
        for path in paths {
            match *path {
                "name" => next.name = fields.name.trim().to_string(),
                "emails" => next.emails = normalise_emails(&fields.emails),
                "phones" => next.phones = fields.phones.iter().map(|phone| phone.trim().to_string()).collect(),
                "locale" => next.locale = fields.locale.clone(),
                "time_zone" => next.time_zone = fields.time_zone.clone(),
                "tier" => next.tier = fields.tier.unwrap_or(CustomerTier::Standard),
                "notes" => next.notes = fields.notes.clone(),
                "external_id" => next.external_id = fields.external_id.trim().to_string(),
                "organization_id" => next.organization_id = fields.organization_id.clone(),
                other => unreachable!("not an updatable customer field: {other}"),
            }
        }
        next.check()?;
        let mut changed_fields = Vec::new();
        for (name, differs) in [
            ("name", self.name != next.name),
            ("emails", self.emails != next.emails),
            ("phones", self.phones != next.phones),
            ("locale", self.locale != next.locale),
            ("time_zone", self.time_zone != next.time_zone),
            ("tier", self.tier != next.tier),
            ("notes", self.notes != next.notes),
            ("external_id", self.external_id != next.external_id),
            ("organization_id", self.organization_id != next.organization_id),
        ] {
            if differs {
                changed_fields.push(name);
            }
        }
        if !changed_fields.is_empty() {
            next.updated_at = now;
            next.revision = self.revision + 1;
        }
        Ok(CustomerChange { customer: next, changed_fields })
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    fn check_not_merged(&self) -> ApiResult<()> {
        if self.merged_into_id.is_empty() {
            Ok(())
        } else {
            Err(ApiError::FailedPrecondition {
                reason: "CUSTOMER_MERGED",
                message: format!(
                    "customer {} was merged into {}; change that customer instead",
                    self.id, self.merged_into_id
                ),
            })
        }
    }

    /// Merges this duplicate into `target`: the target gains its addresses and phones, and this
    /// one remembers where it went. Returns (source, target) as they become.
    pub fn merge_into(&self, target: &Customer, now: i64) -> ApiResult<(Customer, Customer)> {
        if self.id == target.id {
            return Err(ApiError::invalid("target_id", "a customer cannot be merged into itself"));
        }
        self.check_not_merged()?;
        target.check_not_merged()?;
        let mut absorbed = target.clone();
        absorbed.emails.extend(self.emails.iter().filter(|email| !target.emails.contains(email)).cloned());
        absorbed.phones.extend(self.phones.iter().filter(|phone| !target.phones.contains(phone)).cloned());
        if absorbed.external_id.is_empty() {
            absorbed.external_id = self.external_id.clone();
        }
        absorbed.updated_at = now;
        absorbed.revision = target.revision + 1;
        let mut merged = self.clone();
        merged.merged_into_id = target.id.clone();
        merged.emails.clear();
        merged.phones.clear();
        merged.external_id.clear();
        merged.updated_at = now;
        merged.revision = self.revision + 1;
        Ok((merged, absorbed))
    }

    fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        if self.name.is_empty() {
            violations.add("customer.name", "must not be empty");
        }
        validate::max_chars(&mut violations, "customer.name", &self.name, 255);
        for email in &self.emails {
            if !looks_like_email(email) {
                violations.add("customer.emails", format!("`{email}` is not an email address"));
            }
        }
        if self.emails.len() > MAX_EMAILS {
            violations.add("customer.emails", format!("a customer has at most {MAX_EMAILS} addresses"));
        }
        for phone in &self.phones {
            let ok = !phone.is_empty()
                && phone.len() <= 32
                && phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
                && phone.chars().any(|c| c.is_ascii_digit());
            if !ok {
                violations.add("customer.phones", format!("`{phone}` is not a phone number"));
            }
        }
        validate::locale(&mut violations, "customer.locale", &self.locale);
        validate::time_zone(&mut violations, "customer.time_zone", &self.time_zone);
        validate::max_chars(&mut violations, "customer.notes", &self.notes, 10_000);
        validate::external_id(&mut violations, "customer.external_id", &self.external_id);
        validate::reference(&mut violations, "customer.organization_id", &self.organization_id);
        violations.into_result()
    }
}

fn is_populated(fields: &CustomerFields, path: &str) -> bool {
    match path {
        "name" => !fields.name.is_empty(),
        "emails" => !fields.emails.is_empty(),
        "phones" => !fields.phones.is_empty(),
        "locale" => !fields.locale.is_empty(),
        "time_zone" => !fields.time_zone.is_empty(),
        "tier" => fields.tier.is_some(),
        "notes" => !fields.notes.is_empty(),
        "external_id" => !fields.external_id.is_empty(),
        "organization_id" => !fields.organization_id.is_empty(),
        _ => false,
    }
}

/// Refuses more addresses than a customer may have before any of them is looked at: the limit
/// is on what is sent, so a request of 100,000 addresses costs nothing to refuse. (Repeats would
/// be dropped, but no CRM sends twenty copies of one address.)
pub fn check_email_count(emails: &[String]) -> ApiResult<()> {
    if emails.len() > MAX_EMAILS {
        return Err(ApiError::invalid("customer.emails", format!("a customer has at most {MAX_EMAILS} addresses")));
    }
    Ok(())
}

/// Addresses compare case-insensitively; order is kept (the first is primary), repeats dropped.
pub fn normalise_emails(emails: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    emails.iter().map(|email| email.trim().to_lowercase()).filter(|email| seen.insert(email.clone())).collect()
}

/// Deliberately loose: one @ with text either side and a dot in the domain. Deliverability is
/// proven by mail, not by a regular expression.
fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.len() <= 254
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> CustomerFields {
        CustomerFields { name: "Zofia Nowak".into(), emails: vec!["Zofia@Example.PL".into()], ..Default::default() }
    }

    #[test]
    fn emails_are_lower_cased_and_deduplicated_keeping_the_primary_first() {
        let customer = Customer::create(
            "c".into(),
            CustomerFields { emails: vec!["B@x.io".into(), "a@x.io".into(), "b@X.io".into()], ..fields() },
            0,
        )
        .unwrap();
        assert_eq!(customer.emails, ["b@x.io", "a@x.io"]);
    }

    #[test]
    fn bad_contact_details_are_named() {
        let error = Customer::create(
            "c".into(),
            CustomerFields {
                emails: vec!["not-an-address".into()],
                phones: vec!["call me".into()],
                time_zone: "Mars/Olympus".into(),
                ..fields()
            },
            0,
        )
        .unwrap_err()
        .to_string();
        for field in ["customer.emails", "customer.phones", "customer.time_zone"] {
            assert!(error.contains(field), "{error}");
        }
    }

    #[test]
    fn a_merged_duplicate_hands_over_its_details_and_takes_no_changes() {
        let target = Customer::create("t".into(), fields(), 0).unwrap();
        let duplicate = Customer::create(
            "d".into(),
            CustomerFields {
                name: "Z. Nowak".into(),
                emails: vec!["z.nowak@gmail.com".into()],
                external_id: "crm-9".into(),
                ..Default::default()
            },
            0,
        )
        .unwrap();
        let (merged, absorbed) = duplicate.merge_into(&target, 5).unwrap();
        assert_eq!(absorbed.emails, ["zofia@example.pl", "z.nowak@gmail.com"]);
        assert_eq!(absorbed.external_id, "crm-9");
        assert_eq!(merged.merged_into_id, "t");
        assert!(merged.update(&fields(), &[], 6).is_err());
        assert!(duplicate.merge_into(&duplicate, 5).is_err());
    }

    #[test]
    fn replace_writes_every_field() {
        let customer = Customer::create("c".into(), CustomerFields { notes: "old".into(), ..fields() }, 0).unwrap();
        let change = customer.replace(&CustomerFields { name: "Zofia N.".into(), ..Default::default() }, 5).unwrap();
        assert_eq!(change.customer.notes, "");
        assert_eq!(change.customer.emails, Vec::<String>::new());
        assert!(change.changed_fields.contains(&"notes"));
        assert_eq!(change.customer.revision, 2);
    }
}

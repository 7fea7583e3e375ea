//! The rules every ticket write consults — SLA policies with their calendars, escalation rules
//! and triggers — kept in memory for a moment, so a write does not read four tables each time.
//! A change made through this replica clears the cache at once; a change made through another
//! replica is seen within `FRESH_FOR`.
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use frontline_shared::ApiResult;
use sqlx::AnyConnection;

use crate::{
    domain::{
        business_rule::RuleKind, calendar::Calendar, escalation::EscalationRule, rules::Trigger,
        service_level::SlaPolicy,
    },
    store::{business_rules, calendars, escalations, sla_policies},
};

const FRESH_FOR: Duration = Duration::from_secs(1);

/// One consistent reading of the rules.
#[derive(Debug, Default)]
pub(super) struct Rules {
    /// In evaluation order.
    pub policies: Vec<SlaPolicy>,
    pub calendars: HashMap<String, Calendar>,
    pub escalation_rules: Vec<EscalationRule>,
    /// Active triggers in position order.
    pub triggers: Vec<Trigger>,
}

impl Rules {
    /// Whether any rule could act on a ticket write at all.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty() && self.escalation_rules.is_empty() && self.triggers.is_empty()
    }
}

/// The rules as last read, and when.
type Cached = Option<(Instant, Arc<Rules>)>;

#[derive(Clone, Default)]
pub(super) struct RulesCache(Arc<RwLock<Cached>>);

impl RulesCache {
    pub async fn get(&self, connection: &mut AnyConnection) -> ApiResult<Arc<Rules>> {
        if let Some((read_at, rules)) = self.0.read().expect("rules cache lock").as_ref()
            && read_at.elapsed() < FRESH_FOR
        {
            return Ok(rules.clone());
        }
        let rules = Arc::new(load(connection).await?);
        *self.0.write().expect("rules cache lock") = Some((Instant::now(), rules.clone()));
        Ok(rules)
    }

    /// After a change to any rule made here.
    pub fn invalidate(&self) {
        *self.0.write().expect("rules cache lock") = None;
    }
}

async fn load(connection: &mut AnyConnection) -> ApiResult<Rules> {
    let policies = sla_policies::all(connection).await?;
    let mut calendars = HashMap::new();
    for stored in calendars::all(connection).await? {
        match stored.calendar() {
            Ok(calendar) => {
                calendars.insert(stored.id.clone(), calendar);
            }
            Err(error) => {
                tracing::warn!(calendar = %stored.id, %error, "a stored calendar no longer builds; its targets count calendar hours")
            }
        }
    }
    let escalation_rules = escalations::rules(connection).await?;
    let triggers = business_rules::list(connection, Some(RuleKind::Trigger))
        .await?
        .into_iter()
        .filter(|rule| rule.active)
        .map(|rule| rule.as_trigger())
        .collect();
    Ok(Rules { policies, calendars, escalation_rules, triggers })
}

//! Routing new tickets: ask workforce who of the team is on shift now (with a deadline), weigh
//! their load and skills, and assign — all before the ticket is written, so the ticket is
//! created already assigned, in one transaction. When workforce is slow, down or not configured
//! the ticket waits in the team's queue and the `ticket.routed` event says why.
use std::time::Duration;

use frontline_proto::{
    ticketing::v1 as pb,
    workforce::v1::{FindOnShiftRequest, workforce_service_client::WorkforceServiceClient},
};
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::time::to_timestamp,
    feed::{self, NewEvent},
    peers::{self, PeerChannel},
};
use sqlx::AnyConnection;
use tracing::Instrument;

use super::TicketingApi;
use crate::{
    domain::{
        Ticket,
        access::{Action, authorize},
        custom_fields::FieldValue,
        routing::{self, Candidate, Choice, DEFAULT_PRODUCT_FIELD, Needs, Strategy, TeamRouting},
        ticket::TicketFields,
    },
    store::routing as store,
};

pub type WorkforceClient = WorkforceServiceClient<PeerChannel>;

/// Who is asked for, at most: a team's agents on shift at one moment.
const MAX_ON_SHIFT: i32 = 500;

/// What routing decided for a ticket about to be created.
pub(super) struct RoutePlan {
    routing: TeamRouting,
    choice: Choice,
    candidates: usize,
}

impl RoutePlan {
    pub fn assignee(&self) -> Option<&str> {
        match &self.choice {
            Choice::Agent(agent) => Some(agent),
            Choice::Queue(_) => None,
        }
    }
}

fn wire(routing: &TeamRouting) -> pb::TeamRouting {
    pb::TeamRouting {
        team_id: routing.team_id.clone(),
        strategy: routing.strategy.number() as i32,
        capacity_per_agent: routing.capacity_per_agent as i32,
        product_field: routing.product_field.clone(),
        etag: routing.revision.to_string(),
        updated_at: Some(to_timestamp(routing.updated_at)),
    }
}

impl TicketingApi {
    /// Routes a ticket about to be created for a team with routing, when nobody was named.
    pub(super) async fn plan_route(&self, fields: &TicketFields) -> ApiResult<Option<RoutePlan>> {
        if !fields.assignee_id.is_empty() || fields.team_id.is_empty() {
            return Ok(None);
        }
        let routing = {
            let mut connection = self.db.reader().acquire().await?;
            store::get(&mut connection, &fields.team_id).await?
        };
        let Some(routing) = routing else { return Ok(None) };
        let needs = Needs {
            language: routing::language_of(&fields.locale),
            product: product_of(fields, &routing.product_field),
        };
        let span = tracing::info_span!("ticket.route", team = %routing.team_id, strategy = routing.strategy.name());
        let on_shift = self.on_shift(&routing, &needs).instrument(span).await;
        let (choice, candidates) = match on_shift {
            Err(reason) => (Choice::Queue(reason), 0),
            Ok(people) => {
                let agents: Vec<String> = people.iter().map(|c| c.agent_id.clone()).collect();
                let load = {
                    let mut connection = self.db.reader().acquire().await?;
                    store::open_load(&mut connection, &agents).await?
                };
                let people: Vec<Candidate> = people
                    .into_iter()
                    .map(|c| Candidate { open_load: load.get(&c.agent_id).copied().unwrap_or(0), ..c })
                    .collect();
                (routing::choose(&routing, &needs, &people), people.len())
            }
        };
        Ok(Some(RoutePlan { routing, choice, candidates }))
    }

    /// The team's agents on shift now, with their proficiency in the language and product.
    async fn on_shift(&self, routing: &TeamRouting, needs: &Needs) -> Result<Vec<Candidate>, String> {
        let Some(mut workforce) = self.workforce.clone() else {
            return Err("workforce is not reachable from here (peers.workforce is not set)".into());
        };
        let skill = match routing.strategy {
            Strategy::SkillsBased => needs.language.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let mut request = peers::as_this_service(FindOnShiftRequest {
            at: Some(to_timestamp(self.clock.now_micros())),
            skill: skill.clone(),
            min_proficiency: 1,
            team_id: routing.team_id.clone(),
            max_results: MAX_ON_SHIFT,
        });
        request.set_timeout(self.routing_timeout);
        let answer = tokio::time::timeout(self.routing_timeout, workforce.find_on_shift(request)).await;
        let people = match answer {
            Err(_) => return Err(format!("workforce did not answer within {:?}", self.routing_timeout)),
            Ok(Err(status)) => {
                return Err(format!("workforce did not answer ({:?}): {}", status.code(), status.message()));
            }
            Ok(Ok(response)) => response.into_inner().people,
        };
        Ok(people
            .into_iter()
            .filter_map(|on_shift| {
                let person = on_shift.person?;
                let proficiency = |name: &Option<String>| -> i64 {
                    let Some(name) = name else { return 0 };
                    person
                        .skills
                        .iter()
                        .filter(|s| &s.name == name)
                        .map(|s| i64::from(s.proficiency))
                        .max()
                        .unwrap_or(0)
                };
                Some(Candidate {
                    language_proficiency: if skill.is_empty() {
                        proficiency(&needs.language)
                    } else {
                        i64::from(on_shift.proficiency)
                    },
                    product_proficiency: proficiency(&needs.product),
                    agent_id: person.id,
                    open_load: 0,
                })
            })
            .collect())
    }

    /// Records the routing of a ticket just inserted, in its transaction.
    pub(super) async fn record_route(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        ticket: &Ticket,
        plan: &RoutePlan,
    ) -> ApiResult<()> {
        let fallback_reason = match &plan.choice {
            Choice::Agent(agent) => {
                if plan.routing.strategy == Strategy::RoundRobin {
                    store::set_last_assignee(connection, &plan.routing.team_id, agent).await?;
                }
                String::new()
            }
            Choice::Queue(reason) => {
                tracing::info!(ticket = ticket.id, team = %plan.routing.team_id, reason, "ticket waits in the team queue");
                reason.clone()
            }
        };
        let id = ticket.id.to_string();
        feed::append(
            connection,
            NewEvent {
                event_type: "ticket.routed",
                aggregate_type: "ticket",
                aggregate_id: &id,
                actor: &principal.subject,
                payload: &pb::TicketRouted {
                    ticket_id: id.clone(),
                    team_id: plan.routing.team_id.clone(),
                    strategy: plan.routing.strategy.number() as i32,
                    assignee_id: ticket.assignee_id.clone(),
                    candidates: plan.candidates as i32,
                    fallback_reason,
                },
            },
        )
        .await?;
        Ok(())
    }

    pub(super) async fn set_team_routing(
        &self,
        principal: &Principal,
        request: pb::SetTeamRoutingRequest,
    ) -> ApiResult<pb::TeamRouting> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.routing.ok_or_else(|| ApiError::invalid("routing", "is required"))?;
        let strategy = Strategy::from_number(i64::from(given.strategy)).ok_or_else(|| {
            ApiError::invalid("routing.strategy", "must be ROUND_ROBIN, LEAST_OPEN_LOAD or SKILLS_BASED")
        })?;
        let product_field = given.product_field.trim();
        let mut routing = TeamRouting {
            team_id: given.team_id.trim().to_string(),
            strategy,
            capacity_per_agent: i64::from(given.capacity_per_agent),
            product_field: if product_field.is_empty() { DEFAULT_PRODUCT_FIELD.into() } else { product_field.into() },
            last_assignee_id: String::new(),
            revision: 1,
            updated_at: self.clock.now_micros(),
        };
        routing.check()?;
        let mut transaction = self.db.begin().await?;
        let current = store::get(&mut transaction, &routing.team_id).await?;
        let expected = current.as_ref().map_or(0, |c| c.revision);
        if !given.etag.is_empty() && given.etag != expected.to_string() {
            return Err(ApiError::stale_etag("team routing", &routing.team_id));
        }
        routing.revision = expected + 1;
        routing.last_assignee_id = current.map(|c| c.last_assignee_id).unwrap_or_default();
        if !store::save(&mut transaction, &routing, expected).await? {
            return Err(ApiError::stale_etag("team routing", &routing.team_id));
        }
        let wire = wire(&routing);
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "team_routing.set",
                aggregate_type: "team_routing",
                aggregate_id: &routing.team_id,
                actor: &principal.subject,
                payload: &wire,
            },
        )
        .await?;
        transaction.commit().await?;
        self.committed();
        Ok(wire)
    }

    pub(super) async fn get_team_routing(
        &self,
        principal: &Principal,
        request: pb::GetTeamRoutingRequest,
    ) -> ApiResult<pb::TeamRouting> {
        authorize(principal, Action::ReadRules)?;
        if request.team_id.is_empty() {
            return Err(ApiError::invalid("team_id", "is required"));
        }
        let mut connection = self.db.reader().acquire().await?;
        let routing = store::get(&mut connection, &request.team_id)
            .await?
            .ok_or_else(|| ApiError::not_found("team routing", &request.team_id))?;
        Ok(wire(&routing))
    }

    pub(super) async fn list_team_routings(
        &self,
        principal: &Principal,
        _request: pb::ListTeamRoutingsRequest,
    ) -> ApiResult<pb::ListTeamRoutingsResponse> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(pb::ListTeamRoutingsResponse { routings: store::all(&mut connection).await?.iter().map(wire).collect() })
    }

    pub(super) async fn delete_team_routing(
        &self,
        principal: &Principal,
        request: pb::DeleteTeamRoutingRequest,
    ) -> ApiResult<pb::DeleteTeamRoutingResponse> {
        authorize(principal, Action::ConfigureRules)?;
        if request.team_id.is_empty() {
            return Err(ApiError::invalid("team_id", "is required"));
        }
        let mut transaction = self.db.begin().await?;
        if !store::delete(&mut transaction, &request.team_id).await? {
            return Err(ApiError::not_found("team routing", &request.team_id));
        }
        transaction.commit().await?;
        Ok(pb::DeleteTeamRoutingResponse {})
    }
}

/// The product a ticket is about: the value of the routing's product field, lower-cased.
fn product_of(fields: &TicketFields, product_field: &str) -> Option<String> {
    fields.custom_fields.iter().find(|value| value.key == product_field).and_then(|value| match &value.value {
        Some(FieldValue::Text(text) | FieldValue::Option(text)) if !text.trim().is_empty() => {
            Some(text.trim().to_lowercase())
        }
        _ => None,
    })
}

/// The default deadline of the routing call: creating a ticket waits at most this long for it.
pub const DEFAULT_ROUTING_TIMEOUT: Duration = Duration::from_millis(800);

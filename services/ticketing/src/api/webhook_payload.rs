//! The JSON document a webhook delivery carries:
//! `{"event_id", "event_type", "occurred_at", "ticket_id" (ticket events only), "payload"}`, where
//! the payload is the feed event's protobuf message in protobuf's JSON mapping (field names as in
//! the .proto files, every field present) or a trigger's rendered body.
use std::sync::LazyLock;

use chrono::{DateTime, SecondsFormat};
use frontline_proto::common::v1::FeedEvent;
use frontline_shared::database::time::from_timestamp;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Snake-case names like the envelope's own, and default values written out, so a receiver
/// finds `assignee_id: ""` rather than having to know that a missing field means empty.
const JSON_OPTIONS: SerializeOptions = SerializeOptions::new().use_proto_field_name(true).skip_default_fields(false);

/// Every message Frontline's contracts define, read once from the descriptors the proto crate
/// embeds for reflection.
static DESCRIPTORS: LazyLock<Option<DescriptorPool>> = LazyLock::new(|| {
    DescriptorPool::decode(frontline_proto::FILE_DESCRIPTOR_SET)
        .inspect_err(|error| tracing::error!(%error, "webhook payloads cannot be decoded: bad descriptor set"))
        .ok()
});

#[derive(Serialize)]
struct Envelope<'a> {
    event_id: &'a str,
    event_type: &'a str,
    occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket_id: Option<&'a str>,
    payload: Payload,
}

enum Payload {
    Message(Box<DynamicMessage>),
    Json(Value),
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Message(message) => message.serialize_with_options(serializer, &JSON_OPTIONS),
            Payload::Json(value) => value.serialize(serializer),
        }
    }
}

/// The body for a feed event.
pub(super) fn event_body(event: &FeedEvent) -> String {
    let occurred_at = event.occurred_at.as_ref().and_then(from_timestamp).unwrap_or_default();
    render(&Envelope {
        event_id: &event.event_id,
        event_type: &event.event_type,
        occurred_at: rfc3339(occurred_at),
        ticket_id: (event.aggregate_type == "ticket").then_some(event.aggregate_id.as_str()),
        payload: event.payload.as_ref().map_or(Payload::Json(Value::Null), message),
    })
}

/// The body for a trigger's notification: its rendered body as the payload, embedded as JSON
/// when it is JSON and as a string otherwise.
pub(super) fn trigger_body(event_id: &str, event_type: &str, occurred_at: i64, body: &str) -> String {
    let payload = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()));
    render(&Envelope {
        event_id,
        event_type,
        occurred_at: rfc3339(occurred_at),
        ticket_id: None,
        payload: Payload::Json(payload),
    })
}

/// UTC with a `Z`, as protobuf's JSON mapping writes the payload's timestamps.
fn rfc3339(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros).unwrap_or_default().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn render(envelope: &Envelope<'_>) -> String {
    // Serialising a decoded message or a JSON value into memory cannot fail.
    serde_json::to_string(envelope).unwrap_or_else(|error| {
        tracing::error!(%error, event_id = envelope.event_id, "a webhook body did not serialise");
        String::from("{}")
    })
}

/// Decodes a feed payload by the type its `Any` names. A payload this build cannot decode
/// (none should exist) still goes out, as its type name, rather than holding up the queue.
fn message(any: &prost_types::Any) -> Payload {
    let name = any.type_url.rsplit('/').next().unwrap_or_default();
    let decoded = DESCRIPTORS
        .as_ref()
        .and_then(|pool| pool.get_message_by_name(name))
        .and_then(|descriptor| DynamicMessage::decode(descriptor, any.value.as_slice()).ok());
    match decoded {
        Some(message) => Payload::Message(Box::new(message)),
        None => {
            tracing::warn!(type_url = %any.type_url, "a feed payload could not be decoded for a webhook");
            Payload::Json(serde_json::json!({ "@type": any.type_url }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_proto::ticketing::v1 as pb;
    use prost::{Message, Name};

    #[test]
    fn a_feed_event_becomes_the_documented_json() {
        let ticket = pb::Ticket { id: "42".into(), subject: "Refund".into(), ..Default::default() };
        let event = FeedEvent {
            event_id: "e-1".into(),
            event_type: "ticket.created".into(),
            aggregate_type: "ticket".into(),
            aggregate_id: "42".into(),
            occurred_at: Some(prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 }),
            payload: Some(prost_types::Any {
                type_url: pb::TicketCreated::type_url(),
                value: pb::TicketCreated { ticket: Some(ticket), by_agent: false }.encode_to_vec(),
            }),
            ..Default::default()
        };
        let body: Value = serde_json::from_str(&event_body(&event)).unwrap();
        assert_eq!(body["event_id"], "e-1");
        assert_eq!(body["event_type"], "ticket.created");
        assert_eq!(body["occurred_at"], "2023-11-14T22:13:20Z");
        assert_eq!(body["ticket_id"], "42");
        assert_eq!(body["payload"]["ticket"]["subject"], "Refund");
        assert_eq!(body["payload"]["ticket"]["assignee_id"], "", "default fields are written out");
    }

    #[test]
    fn a_trigger_body_is_embedded_as_json_or_as_text() {
        let json: Value = serde_json::from_str(&trigger_body("t-1", "trigger.notify", 0, r#"{"text":"Hi"}"#)).unwrap();
        assert_eq!(json["payload"]["text"], "Hi");
        assert!(json.get("ticket_id").is_none());
        let text: Value =
            serde_json::from_str(&trigger_body("t-2", "trigger.notify", 0, "Ticket 7 is urgent")).unwrap();
        assert_eq!(text["payload"], "Ticket 7 is urgent");
    }
}

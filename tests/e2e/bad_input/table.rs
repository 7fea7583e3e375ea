//! The table of refusals, for every RPC: who may not call at all, what every role gets for an
//! empty request, and the mistakes with a known answer — forged page tokens, undefined enum
//! numbers, messages over the size limit. Each test collects every broken row before failing,
//! so one run lists all of them.
use bytes::Bytes;
use frontline_shared::auth::Role;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MethodDescriptor, Value};
use tonic::Code;

use super::{Harness, bearer, every_rpc, failure, path, quiet, raw::Outcome, seed};
use crate::{
    auth::{claims, install_secret, now, sign},
    on_both_backends,
    support::violated_fields,
};

fn empty(method: &MethodDescriptor) -> DynamicMessage {
    DynamicMessage::new(method.input())
}

fn assert_no_broken_rows(broken: Vec<String>) {
    assert!(broken.is_empty(), "{} broken rows:\n{}", broken.len(), broken.join("\n"));
}

/// Like `?` for a row: records the row as broken and moves on.
macro_rules! row {
    ($broken:ident, $result:expr) => {
        match $result {
            Ok(value) => value,
            Err(why) => {
                $broken.push(why);
                continue;
            }
        }
    };
}

/// One table: a quiet suite with a few seeded records, a harness, and the broken rows, all
/// reported at the end.
macro_rules! table {
    ($(#[doc = $doc:literal])* async fn $name:ident($app:ident, $harness:ident, $broken:ident) $body:block) => {
        on_both_backends! {
            with quiet;
            $(#[doc = $doc])*
            async fn $name($app) {
                seed(&$app).await;
                let $harness = Harness::new(&$app).await;
                let mut $broken: Vec<String> = Vec::new();
                $body
                assert_no_broken_rows($broken);
            }
        }
    };
}

/// Callers no install would recognise, as (description, authorization header).
fn strangers(app: &crate::support::TestApp) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("no token", None),
        ("a token that is not a JWT", Some(bearer("not-a-jwt"))),
        ("another scheme", Some("Basic YWRtaW46YWRtaW4=".into())),
        ("an expired token", Some(bearer(&sign(&install_secret(app), claims(now() - 3600))))),
        (
            "a token signed with another key",
            Some(bearer(&sign(b"another install's secret, thirty-two bytes+", claims(now() + 3600)))),
        ),
    ]
}

table! {
    /// No RPC of the suite is public: every one needs a valid token (health and reflection are
    /// separate services, outside the authenticator).
    async fn every_rpc_refuses_callers_without_a_valid_token(app, harness, broken) {
        for method in every_rpc() {
            for (who, authorization) in strangers(&app) {
                let outcome = row!(broken, harness.send_message(&method, authorization.as_deref(), &empty(&method)).await);
                let status = row!(broken, failure(&method, outcome));
                if status.code() != Code::Unauthenticated {
                    broken.push(format!("{} with {who}: {status:?}, expected UNAUTHENTICATED", path(&method)));
                }
            }
        }
    }
}

table! {
    /// An empty request in every role: whatever the answer, it is a clean one, and a refusal
    /// stores nothing. Change feeds carry whole records, so the roles that are not syncing or
    /// aggregating programs, administrators or directors are refused them by name.
    async fn every_rpc_answers_an_empty_request_cleanly_in_every_role(app, harness, broken) {
        for method in every_rpc() {
            for role in Role::ALL {
                let token = bearer(&app.token(role));
                let outcome = row!(broken, harness.send_message(&method, Some(&token), &empty(&method)).await);
                let reads_feed = matches!(method.name(), "ListEvents" | "WatchEvents");
                let may_read_feeds = matches!(role, Role::Service | Role::CrmSync | Role::BiReader | Role::Administrator | Role::Director);
                if reads_feed && !may_read_feeds {
                    let status = row!(broken, failure(&method, outcome));
                    if status.code() != Code::PermissionDenied {
                        broken.push(format!("{} as {role}: {status:?}, expected PERMISSION_DENIED", path(&method)));
                    }
                }
            }
        }
    }
}

/// Page tokens this server never issued: garbage, base64 of garbage, and a well-formed token
/// body for another query.
fn forged_page_tokens() -> Vec<String> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    vec![
        "garbage!".into(),
        URL_SAFE_NO_PAD.encode([0xff, 0x00, 0x13, 0x37]),
        URL_SAFE_NO_PAD.encode(r#"{"q":"someone else's query","k":"","i":"1"}"#),
    ]
}

fn field(method: &MethodDescriptor, name: &str) -> Option<FieldDescriptor> {
    method.input().get_field_by_name(name).filter(|field| field.kind() == Kind::String && !field.is_list())
}

table! {
    /// Every RPC with a page_token refuses forged ones as INVALID_ARGUMENT naming the field.
    async fn every_list_rpc_refuses_forged_page_tokens_naming_the_field(app, harness, broken) {
        let admin = bearer(&app.token(Role::Administrator));
        let mut listed = 0;
        for method in every_rpc() {
            let Some(page_token) = field(&method, "page_token") else { continue };
            listed += 1;
            for forged in forged_page_tokens() {
                let mut request = empty(&method);
                request.set_field(&page_token, Value::String(forged.clone()));
                let outcome = row!(broken, harness.send_message(&method, Some(&admin), &request).await);
                let status = row!(broken, failure(&method, outcome));
                // An RPC with another required field left empty here (SearchTickets' query,
                // ListComments' ticket_id) may name that one first; it must still name a field.
                let named = violated_fields(&status);
                let other_required = !named.is_empty() && !named.iter().any(|f| f == "page_token") && !status.message().contains("page_token");
                if status.code() != Code::InvalidArgument || (named.is_empty() && !other_required) {
                    broken.push(format!("{} with page_token {forged:?}: {status:?}, expected INVALID_ARGUMENT naming page_token", path(&method)));
                }
            }
        }
        assert!(listed >= 10, "only {listed} RPCs have a page_token: has the descriptor set changed shape?");
    }
}

/// Where an enum field sits in a request: at the top, or inside a message field of it.
struct EnumField {
    /// e.g. "ticket.priority"
    path: String,
    set: EnumSetter,
}

fn enum_fields(method: &MethodDescriptor) -> Vec<EnumField> {
    let mut found = Vec::new();
    for outer in method.input().fields() {
        match outer.kind() {
            Kind::Enum(_) => found.push(EnumField { path: outer.name().into(), set: setter(outer, None) }),
            Kind::Message(inner) if !outer.is_list() && !outer.is_map() => {
                for field in inner.fields().filter(|field| matches!(field.kind(), Kind::Enum(_))) {
                    let path = format!("{}.{}", outer.name(), field.name());
                    found.push(EnumField { path, set: setter(field, Some(outer.clone())) });
                }
            }
            _ => {}
        }
    }
    found
}

/// Writes an enum number into a request, at a top-level field or one nested a level down.
type EnumSetter = Box<dyn Fn(&mut DynamicMessage, i32)>;

fn setter(field: FieldDescriptor, parent: Option<FieldDescriptor>) -> EnumSetter {
    Box::new(move |request, number| {
        let value =
            if field.is_list() { Value::List(vec![Value::EnumNumber(number)]) } else { Value::EnumNumber(number) };
        match &parent {
            None => request.set_field(&field, value),
            Some(parent) => {
                request.get_field_mut(parent).as_message_mut().expect("a message field").set_field(&field, value)
            }
        }
    })
}

/// A number no Frontline enum defines.
const UNDEFINED: i32 = 987_654;

/// The roles to try a row in, in order: most RPCs are the administrator's, a few act for a
/// requester (a portal) or are a program's (a service).
const CALLERS: [Role; 3] = [Role::Administrator, Role::Portal, Role::Service];

/// Whether a successful answer refused its records one by one instead (an import reports
/// `failed` per record and stores none of them).
fn refused_per_record(method: &MethodDescriptor, outcome: &Outcome) -> bool {
    let Outcome::Succeeded(Some(bytes)) = outcome else { return false };
    let Some(failed) = method.output().get_field_by_name("failed") else { return false };
    let response = DynamicMessage::decode(method.output(), bytes.clone()).expect("the response decodes");
    response.get_field(&failed).as_i32().is_some_and(|n| n > 0)
}

table! {
    /// An enum number the contract does not define is the caller's mistake, whichever RPC and
    /// field it arrives in. (NOT_FOUND passes too: these requests name no existing record, and
    /// an update may look its target up before it checks the fields it would change.)
    async fn undefined_enum_numbers_are_invalid_arguments(app, harness, broken) {
        for method in every_rpc() {
            for field in enum_fields(&method) {
                let mut request = empty(&method);
                (field.set)(&mut request, UNDEFINED);
                let mut outcome = None;
                for role in CALLERS {
                    let token = bearer(&app.token(role));
                    let answer = row!(broken, harness.send_message(&method, Some(&token), &request).await);
                    let denied = matches!(&answer, Outcome::Failed(status) if status.code() == Code::PermissionDenied);
                    outcome = Some(answer);
                    if !denied {
                        break;
                    }
                }
                let Some(outcome) = outcome else { continue };
                if refused_per_record(&method, &outcome) {
                    continue;
                }
                let row = format!("{} with {} = {UNDEFINED}", path(&method), field.path);
                let status = row!(broken, failure(&method, outcome).map_err(|why| format!("{why} ({row})")));
                if !matches!(status.code(), Code::InvalidArgument | Code::NotFound) {
                    broken.push(format!("{row}: {status:?}, expected INVALID_ARGUMENT"));
                }
            }
        }
    }
}

table! {
    /// A message over the server's limit (4 MiB by default) is refused before any handler
    /// sees it, by size; text fields far longer than any name or id get a clean answer.
    async fn oversized_requests_are_refused_by_size(app, harness, broken) {
        let admin = bearer(&app.token(Role::Administrator));
        let limit = app.settings.server.max_message_bytes;
        for method in every_rpc() {
            // An unknown field (number 4000, length-delimited) the size check meets first.
            let mut oversized = bytes::BytesMut::new();
            prost::encoding::bytes::encode(4000, &vec![b'x'; limit + 1], &mut oversized);
            let outcome = row!(broken, harness.send(&method, Some(&admin), vec![oversized.freeze()]).await);
            let status = row!(broken, failure(&method, outcome));
            if !matches!(status.code(), Code::OutOfRange | Code::ResourceExhausted) {
                broken.push(format!("{} with {} bytes: {status:?}, expected OUT_OF_RANGE or RESOURCE_EXHAUSTED", path(&method), limit + 1));
            }
            // Every top-level text field 64 KiB long: more than fits in a status's headers, were a
            // refusal to echo it back.
            let strings: Vec<_> = method.input().fields().filter(|f| f.kind() == Kind::String && !f.is_list()).collect();
            if strings.is_empty() {
                continue;
            }
            let mut request = empty(&method);
            for field in &strings {
                request.set_field(field, Value::String("ż".repeat(32 << 10)));
            }
            row!(broken, harness.send(&method, Some(&admin), vec![Bytes::from(prost::Message::encode_to_vec(&request))]).await);
        }
    }
}

/// Every text field of a request, at the top or one message down, as (path, request with
/// `text` in that field alone).
fn with_text_in_each_field(method: &MethodDescriptor, text: &str) -> Vec<(String, DynamicMessage)> {
    let mut found = Vec::new();
    for outer in method.input().fields() {
        match outer.kind() {
            Kind::String if !outer.is_list() => {
                let mut request = empty(method);
                request.set_field(&outer, Value::String(text.into()));
                found.push((outer.name().to_string(), request));
            }
            Kind::Message(inner) if !outer.is_list() && !outer.is_map() => {
                for field in inner.fields().filter(|f| f.kind() == Kind::String && !f.is_list()) {
                    let mut message = DynamicMessage::new(inner.clone());
                    message.set_field(&field, Value::String(text.into()));
                    let mut request = empty(method);
                    request.set_field(&outer, Value::Message(message));
                    found.push((format!("{}.{}", outer.name(), field.name()), request));
                }
            }
            _ => {}
        }
    }
    found
}

table! {
    /// PostgreSQL cannot store a NUL character in text, so neither backend accepts one: any
    /// text field holding one is INVALID_ARGUMENT naming that field, before a handler runs.
    async fn a_nul_character_in_any_text_field_is_refused_naming_the_field(app, harness, broken) {
        let admin = bearer(&app.token(Role::Administrator));
        let mut checked = 0;
        for method in every_rpc() {
            for (field, request) in with_text_in_each_field(&method, "Drucker\0kaputt") {
                checked += 1;
                let outcome = row!(broken, harness.send_message(&method, Some(&admin), &request).await);
                let status = row!(broken, failure(&method, outcome));
                if status.code() != Code::InvalidArgument || violated_fields(&status) != [field.clone()] {
                    broken.push(format!("{} with a NUL in {field}: {status:?}, expected INVALID_ARGUMENT naming {field}", path(&method)));
                }
            }
        }
        assert!(checked >= 100, "only {checked} text fields: has the descriptor set changed shape?");
    }
}

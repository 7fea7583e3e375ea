//! Proptest strategies for any request message of the suite, built from its descriptor: every
//! field may be set, to the values that break careless handlers — empty, huge, control and
//! look-alike characters, extreme numbers, enum numbers no one defined, nested messages,
//! forged page tokens and etags, timestamps outside any calendar.
use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use bytes::Bytes;
use proptest::{collection::vec, prelude::*, sample::select};
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, Value};

/// How deep generated messages nest: deep enough for `UpdateTicketRequest.ticket.sla_policy…`.
const DEPTH: u32 = 2;
/// One mebibyte: big for any name or body, still well under the 4 MiB message limit alone.
pub const HUGE: usize = 1 << 20;

/// Ids that exist in the suite under test, so generated requests also reach past lookups.
#[derive(Clone, Debug, Default)]
pub struct Known(pub Vec<String>);

pub fn request(descriptor: &MessageDescriptor, known: &Known) -> BoxedStrategy<DynamicMessage> {
    message(descriptor.clone(), known.clone(), DEPTH)
}

fn message(descriptor: MessageDescriptor, known: Known, depth: u32) -> BoxedStrategy<DynamicMessage> {
    match descriptor.full_name() {
        "google.protobuf.Timestamp" | "google.protobuf.Duration" => return seconds_and_nanos(descriptor),
        _ => {}
    }
    let fields: Vec<FieldDescriptor> = descriptor.fields().collect();
    let values: Vec<BoxedStrategy<Option<Value>>> =
        fields.iter().map(|field| proptest::option::weighted(0.6, field_value(field, &known, depth)).boxed()).collect();
    values
        .prop_map(move |values| {
            let mut message = DynamicMessage::new(descriptor.clone());
            // Setting a oneof member clears its siblings, so the last one set wins.
            for (field, value) in fields.iter().zip(values) {
                if let Some(value) = value {
                    message.set_field(field, value);
                }
            }
            message
        })
        .boxed()
}

fn field_value(field: &FieldDescriptor, known: &Known, depth: u32) -> BoxedStrategy<Value> {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else { unreachable!("map fields are entry messages") };
        let key = single(&entry.map_entry_key_field(), known, depth);
        let value = single(&entry.map_entry_value_field(), known, depth);
        return vec((key, value), 0..3)
            .prop_map(|entries| {
                let map: HashMap<MapKey, Value> =
                    entries.into_iter().filter_map(|(key, value)| Some((map_key(key)?, value))).collect();
                Value::Map(map)
            })
            .boxed();
    }
    let one = single(field, known, depth);
    if field.is_list() { vec(one, 0..4).prop_map(Value::List).boxed() } else { one }
}

fn map_key(value: Value) -> Option<MapKey> {
    Some(match value {
        Value::Bool(v) => MapKey::Bool(v),
        Value::I32(v) => MapKey::I32(v),
        Value::I64(v) => MapKey::I64(v),
        Value::U32(v) => MapKey::U32(v),
        Value::U64(v) => MapKey::U64(v),
        Value::String(v) => MapKey::String(v),
        _ => return None,
    })
}

fn single(field: &FieldDescriptor, known: &Known, depth: u32) -> BoxedStrategy<Value> {
    match field.kind() {
        Kind::String if is_opaque_token(field.name()) => {
            prop_oneof![text(known), forged_token()].prop_map(Value::String).boxed()
        }
        Kind::String => text(known).prop_map(Value::String).boxed(),
        Kind::Bytes => vec(any::<u8>(), 0..64).prop_map(|b| Value::Bytes(Bytes::from(b))).boxed(),
        Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => int32().prop_map(Value::I32).boxed(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => int64().prop_map(Value::I64).boxed(),
        Kind::Uint32 | Kind::Fixed32 => {
            prop_oneof![Just(0), Just(1), Just(u32::MAX), any::<u32>()].prop_map(Value::U32).boxed()
        }
        Kind::Uint64 | Kind::Fixed64 => {
            prop_oneof![Just(0), Just(1), Just(u64::MAX), any::<u64>()].prop_map(Value::U64).boxed()
        }
        Kind::Float => float().prop_map(|f| Value::F32(f as f32)).boxed(),
        Kind::Double => float().prop_map(Value::F64).boxed(),
        Kind::Enum(descriptor) => {
            let defined: Vec<i32> = descriptor.values().map(|value| value.number()).collect();
            prop_oneof![3 => select(defined), 1 => int32()].prop_map(Value::EnumNumber).boxed()
        }
        // At the bottom only leaves: times, and field masks (a list of strings).
        Kind::Message(descriptor) if depth == 0 && !is_leaf(&descriptor) => {
            Just(Value::Message(DynamicMessage::new(descriptor))).boxed()
        }
        Kind::Message(descriptor) => {
            message(descriptor, known.clone(), depth.saturating_sub(1)).prop_map(Value::Message).boxed()
        }
    }
}

fn is_leaf(descriptor: &MessageDescriptor) -> bool {
    matches!(
        descriptor.full_name(),
        "google.protobuf.Timestamp" | "google.protobuf.Duration" | "google.protobuf.FieldMask"
    )
}

fn is_opaque_token(name: &str) -> bool {
    matches!(name, "page_token" | "cursor" | "etag" | "next_page_token") || name.ends_with("_token")
}

/// What a forger sends as a page token, cursor or etag: base64 of random bytes, of JSON shaped
/// like a token body, or of the newline-separated fields an export cursor carries.
fn forged_token() -> BoxedStrategy<String> {
    prop_oneof![
        vec(any::<u8>(), 0..48).prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes)),
        (".{0,12}", ".{0,12}", ".{0,12}")
            .prop_map(|(q, k, i)| URL_SAFE_NO_PAD.encode(serde_json::json!({"q": q, "k": k, "i": i}).to_string())),
        vec("facts1|series1|-?[0-9]{1,20}|.{0,8}", 1..7).prop_map(|fields| URL_SAFE_NO_PAD.encode(fields.join("\n"))),
        Just("W/\"1\"".to_string()),
    ]
    .boxed()
}

fn text(known: &Known) -> BoxedStrategy<String> {
    let known = if known.0.is_empty() { Just(String::new()).boxed() } else { select(known.0.clone()).boxed() };
    prop_oneof![
        4 => Just(String::new()),
        4 => known,
        3 => any::<String>(),
        2 => "[\\x00-\\x1f\\x7f]{1,8}",
        2 => "[\u{200b}\u{202e}\u{feff}\u{fffd}\u{0301}\u{1f600}a-z ]{1,12}",
        2 => select(vec![
            "*", "-1", "0", "99999999999999999999", "1e309", "NaN", "' OR 1=1 --", "%", "_", "\\",
            "status = OPEN OR", "../../etc/passwd", "2026-02-30T25:61:00Z", "null", "{}", "http://127.0.0.1:1/",
            "Europe/Nowhere", "xx-XX-invalid", "PT-1H",
        ]).prop_map(str::to_string),
        1 => (any::<char>(), HUGE - 16..HUGE + 16).prop_map(|(c, n)| c.to_string().repeat(n / c.len_utf8())),
    ]
    .boxed()
}

fn int32() -> impl Strategy<Value = i32> {
    prop_oneof![Just(0), Just(1), Just(-1), Just(i32::MIN), Just(i32::MAX), 0..1000, any::<i32>()]
}

fn int64() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0), Just(1), Just(-1), Just(i64::MIN), Just(i64::MAX), 0..1_000_000i64, any::<i64>()]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1e308),
        any::<f64>()
    ]
}

/// Timestamps and durations: seconds from before year 1 to after 9999, nanos past a second.
fn seconds_and_nanos(descriptor: MessageDescriptor) -> BoxedStrategy<DynamicMessage> {
    let seconds = prop_oneof![int64(), Just(-62_135_596_801i64), Just(253_402_300_800i64), Just(1_767_225_600i64)];
    let nanos = prop_oneof![Just(0), Just(-1), Just(1_000_000_000), int32()];
    (seconds, nanos)
        .prop_map(move |(seconds, nanos)| {
            let mut message = DynamicMessage::new(descriptor.clone());
            message.set_field_by_name("seconds", Value::I64(seconds));
            message.set_field_by_name("nanos", Value::I32(nanos));
            message
        })
        .boxed()
}

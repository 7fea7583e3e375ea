//! Finds a NUL character (U+0000) in any string field of a decoded request, wherever it is
//! nested, and names the field. PostgreSQL cannot store NUL in text (SQLSTATE 22021) while
//! SQLite can, so one rule at the door keeps both backends alike and turns what would be a
//! database error deep in a transaction into an INVALID_ARGUMENT naming the field.
//!
//! Written by hand because no crate checks a property of every string in an arbitrary prost
//! message: it walks the wire bytes the message was decoded from, guided by the descriptor set
//! already kept for reflection. A message with no zero byte at all (nearly every one) is passed
//! by a single memchr without the walk.
use std::{collections::HashMap, fmt::Write, sync::OnceLock};

use prost::Message;
use prost_types::{
    DescriptorProto, FileDescriptorSet,
    field_descriptor_proto::{Label, Type},
};

/// The path of the first string field holding a NUL, as `ticket.comments[2].body`, in
/// `bytes`, an encoding of the message named `full_name` (e.g. `frontline.ticketing.v1.Ticket`).
/// None when there is none, or when the message is unknown to the contracts.
pub fn field_with_nul(full_name: &str, bytes: &[u8]) -> Option<String> {
    if !bytes.contains(&0) {
        return None;
    }
    let shapes = Shapes::get();
    let mut path = String::new();
    shapes.walk(*shapes.by_name.get(full_name)?, bytes, &mut path).then_some(path)
}

/// What the walk needs to know of a field: its name, whether it repeats, and what its
/// length-delimited payload is. Fields of other kinds are skipped by their wire type.
struct Field {
    name: String,
    repeated: bool,
    kind: Kind,
}

enum Kind {
    Text,
    Message(usize),
    Other,
}

#[derive(Default)]
struct Shapes {
    by_name: HashMap<String, usize>,
    fields: Vec<HashMap<u32, Field>>,
}

impl Shapes {
    fn get() -> &'static Self {
        static SHAPES: OnceLock<Shapes> = OnceLock::new();
        SHAPES.get_or_init(|| {
            let set =
                FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET).expect("the built-in descriptor set decodes");
            Self::of(&set)
        })
    }

    fn of(set: &FileDescriptorSet) -> Self {
        let mut messages = Vec::new();
        for file in &set.file {
            let package = file.package();
            for message in &file.message_type {
                collect(package, message, &mut messages);
            }
        }
        let mut shapes = Shapes::default();
        for (index, (name, _)) in messages.iter().enumerate() {
            shapes.by_name.insert(name.clone(), index);
        }
        for (_, message) in &messages {
            let fields = message
                .field
                .iter()
                .map(|field| {
                    let kind = match field.r#type() {
                        Type::String => Kind::Text,
                        Type::Message => shapes
                            .by_name
                            .get(field.type_name().trim_start_matches('.'))
                            .map_or(Kind::Other, |&i| Kind::Message(i)),
                        _ => Kind::Other,
                    };
                    let repeated = field.label() == Label::Repeated;
                    (field.number() as u32, Field { name: field.name().to_string(), repeated, kind })
                })
                .collect();
            shapes.fields.push(fields);
        }
        shapes
    }

    /// Whether a string field of message `index` in `bytes` holds a NUL; if so, `path` ends
    /// with that field's path. Stops (false) at anything that is not well-formed protobuf,
    /// which cannot happen for bytes prost has just decoded.
    fn walk(&self, index: usize, mut bytes: &[u8], path: &mut String) -> bool {
        let fields = &self.fields[index];
        let mut seen: HashMap<u32, usize> = HashMap::new();
        while !bytes.is_empty() {
            let Some(key) = varint(&mut bytes) else { return false };
            let number = (key >> 3) as u32;
            let payload = match key & 7 {
                0 => {
                    if varint(&mut bytes).is_none() {
                        return false;
                    }
                    continue;
                }
                1 | 5 => {
                    let width = if key & 7 == 1 { 8 } else { 4 };
                    let Some(rest) = bytes.get(width..) else { return false };
                    bytes = rest;
                    continue;
                }
                2 => {
                    let Some(length) = varint(&mut bytes).and_then(|n| usize::try_from(n).ok()) else { return false };
                    if length > bytes.len() {
                        return false;
                    }
                    let (payload, rest) = bytes.split_at(length);
                    bytes = rest;
                    payload
                }
                _ => return false, // groups: not used by proto3 contracts
            };
            let Some(field) = fields.get(&number) else { continue };
            let occurrence = seen.entry(number).or_default();
            let at = *occurrence;
            *occurrence += 1;
            match field.kind {
                Kind::Text if payload.contains(&0) => {
                    push_field(path, field, at);
                    return true;
                }
                Kind::Message(inner) => {
                    let mut inner_path = String::new();
                    if self.walk(inner, payload, &mut inner_path) {
                        push_field(path, field, at);
                        path.push('.');
                        path.push_str(&inner_path);
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }
}

fn push_field(path: &mut String, field: &Field, at: usize) {
    path.push_str(&field.name);
    if field.repeated {
        let _ = write!(path, "[{at}]");
    }
}

/// Every message of a file, nested ones included, under its full name.
fn collect<'a>(scope: &str, message: &'a DescriptorProto, into: &mut Vec<(String, &'a DescriptorProto)>) {
    let name = if scope.is_empty() { message.name().to_string() } else { format!("{scope}.{}", message.name()) };
    for nested in &message.nested_type {
        collect(&name, nested, into);
    }
    into.push((name, message));
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    prost::encoding::decode_varint(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticketing::v1 as pb;

    fn nul_in(ticket: pb::Ticket) -> Option<String> {
        let request = pb::CreateTicketRequest { ticket: Some(ticket), ..Default::default() };
        field_with_nul("frontline.ticketing.v1.CreateTicketRequest", &request.encode_to_vec())
    }

    #[test]
    fn a_nul_anywhere_in_text_is_found_and_named() {
        let subject = pb::Ticket { subject: "Printer\0 on fire".into(), ..Default::default() };
        assert_eq!(nul_in(subject).as_deref(), Some("ticket.subject"));
        let tag = pb::Ticket { tags: vec!["billing".into(), "vip\0".into()], ..Default::default() };
        assert_eq!(nul_in(tag).as_deref(), Some("ticket.tags[1]"));
    }

    #[test]
    fn zero_bytes_that_are_not_text_pass() {
        let ticket = pb::Ticket {
            subject: "Zahlung fehlgeschlagen — ünïcödé".into(),
            tags: vec![String::new(), "a".into()],
            created_at: Some(prost_types::Timestamp { seconds: 0, nanos: 0 }),
            ..Default::default()
        };
        let request = pb::CreateTicketRequest { ticket: Some(ticket), ..Default::default() };
        let bytes = request.encode_to_vec();
        assert!(bytes.contains(&0), "the test needs a zero byte that is not in text");
        assert_eq!(field_with_nul("frontline.ticketing.v1.CreateTicketRequest", &bytes), None);
    }

    #[test]
    fn every_contract_message_is_known() {
        let shapes = Shapes::get();
        assert!(shapes.by_name.contains_key("frontline.ticketing.v1.Ticket"));
        assert!(shapes.by_name.contains_key("frontline.knowledge.v1.Article"));
        assert!(shapes.by_name.len() > 100, "{} messages", shapes.by_name.len());
    }
}

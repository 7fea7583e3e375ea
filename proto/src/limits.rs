//! The door every request passes: each string, repeated field and nested message is checked
//! against its limit, and every string for NUL, before the request is decoded, so no handler
//! ever starts work on an over-sized input and a new field can never be left unbounded.
//!
//! Limits are declared in the contracts, on the field (`[(frontline.common.v1.limit).max_chars
//! = 500]`, see `frontline/common/v1/limits.proto`); a field without one has its kind's default.
//! build.rs turns the declarations into [`DECLARED`] and into one constant per limit (for
//! example [`ticketing::TICKET_SUBJECT_MAX_CHARS`]), which domain code uses for input that
//! arrives another way, such as a CSV line.
//!
//! NUL (U+0000) is refused in every string because PostgreSQL cannot store it in text (SQLSTATE
//! 22021) while SQLite can: one rule at the door keeps both backends alike.
//!
//! Written by hand because no crate checks limits on an arbitrary prost message before it is
//! decoded: the check walks the wire bytes once, guided by the descriptor set already kept for
//! reflection. The walk's cost is one pass over bytes the server has already received (at most
//! its 4 MiB message cap), and it nests no deeper than [`MAX_DEPTH`].
use std::{
    collections::{HashMap, HashSet},
    fmt::Write,
    sync::OnceLock,
};

use prost::Message;
use prost_types::{
    DescriptorProto, FileDescriptorSet,
    field_descriptor_proto::{Label, Type},
};

include!(concat!(env!("OUT_DIR"), "/declared_limits.rs"));

/// The most characters of a string field that declares no limit.
pub const DEFAULT_MAX_CHARS: usize = 1_000;
/// The most items of a repeated field that declares no limit.
pub const DEFAULT_MAX_ITEMS: usize = 100;
/// How deep messages may nest in a request.
pub const MAX_DEPTH: usize = 32;

/// Why a request is refused: the field's path (`ticket.tags[3]`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub description: String,
}

/// Checks `bytes`, an encoding of the message named `full_name` (such as
/// `frontline.ticketing.v1.CreateTicketRequest`), against every limit. Only requests (the input
/// of some RPC) are checked: a client has no reason to police what a server answers. Bytes that
/// are not well-formed protobuf pass here, for the decoder to refuse with its own message.
pub fn check(full_name: &str, bytes: &[u8]) -> Result<(), Refusal> {
    let shapes = Shapes::get();
    let Some(&index) = shapes.by_name.get(full_name) else { return Ok(()) };
    if !shapes.requests.contains(&index) {
        return Ok(());
    }
    match shapes.walk(index, bytes, 0) {
        Walk::Refused(mut refusal) => {
            refusal.field = refusal.field.trim_start_matches('.').to_string();
            Err(refusal)
        }
        Walk::Passed | Walk::Malformed => Ok(()),
    }
}

/// The limit in force for a field, declared or by default; None for a field that is neither
/// text nor repeated, or that does not exist.
pub fn limit_of(message: &str, field: &str) -> Option<Limit> {
    let shapes = Shapes::get();
    let fields = &shapes.fields[*shapes.by_name.get(message)?];
    let field = fields.iter().find(|f| f.name == field)?;
    let text = matches!(field.kind, Kind::Text);
    (text || field.repeated).then_some(Limit {
        max_chars: text.then_some(field.max_chars),
        max_items: field.repeated.then_some(field.max_items),
    })
}

/// What [`limit_of`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_chars: Option<usize>,
    pub max_items: Option<usize>,
}

enum Walk {
    Passed,
    Refused(Refusal),
    Malformed,
}

/// What the walk needs to know of a field.
struct Field {
    number: u32,
    name: String,
    repeated: bool,
    kind: Kind,
    max_chars: usize,
    max_items: usize,
}

enum Kind {
    Text,
    Message(usize),
    /// A scalar, which a repeated field may pack: each packed item is a varint, or this many bytes.
    Scalar(Option<usize>),
    Bytes,
}

#[derive(Default)]
struct Shapes {
    by_name: HashMap<String, usize>,
    /// Fields of each message, sorted by number.
    fields: Vec<Vec<Field>>,
    /// Messages that are some RPC's input.
    requests: HashSet<usize>,
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
            for message in &file.message_type {
                collect(file.package(), message, &mut messages);
            }
        }
        let mut shapes = Shapes::default();
        for (index, (name, _)) in messages.iter().enumerate() {
            shapes.by_name.insert(name.clone(), index);
        }
        let declared: HashMap<(&str, u32), (u32, u32)> =
            DECLARED.iter().map(|&(message, number, chars, items)| ((message, number), (chars, items))).collect();
        for (name, message) in &messages {
            let mut fields: Vec<Field> = message
                .field
                .iter()
                .map(|field| {
                    let kind = match field.r#type() {
                        Type::String => Kind::Text,
                        Type::Bytes => Kind::Bytes,
                        Type::Message | Type::Group => shapes
                            .by_name
                            .get(field.type_name().trim_start_matches('.'))
                            .map_or(Kind::Bytes, |&i| Kind::Message(i)),
                        Type::Double | Type::Fixed64 | Type::Sfixed64 => Kind::Scalar(Some(8)),
                        Type::Float | Type::Fixed32 | Type::Sfixed32 => Kind::Scalar(Some(4)),
                        _ => Kind::Scalar(None),
                    };
                    let (chars, items) =
                        declared.get(&(name.as_str(), field.number() as u32)).copied().unwrap_or((0, 0));
                    let or_default =
                        |declared: u32, default: usize| if declared == 0 { default } else { declared as usize };
                    Field {
                        number: field.number() as u32,
                        name: field.name().to_string(),
                        repeated: field.label() == Label::Repeated,
                        kind,
                        max_chars: or_default(chars, DEFAULT_MAX_CHARS),
                        max_items: or_default(items, DEFAULT_MAX_ITEMS),
                    }
                })
                .collect();
            fields.sort_by_key(|f| f.number);
            shapes.fields.push(fields);
        }
        for file in &set.file {
            for method in file.service.iter().flat_map(|s| &s.method) {
                if let Some(&index) = shapes.by_name.get(method.input_type().trim_start_matches('.')) {
                    shapes.requests.insert(index);
                }
            }
        }
        shapes
    }

    /// Walks one encoded message of type `index`, nested `depth` deep. A refusal's field path
    /// is built on the way back out, each level prefixing `.name` or `.name[i]`.
    fn walk(&self, index: usize, mut bytes: &[u8], depth: usize) -> Walk {
        if depth > MAX_DEPTH {
            return refused(String::new(), format!("nests messages more than {MAX_DEPTH} deep"));
        }
        let fields = &self.fields[index];
        let mut counts = vec![0usize; fields.len()];
        while !bytes.is_empty() {
            let Some(key) = varint(&mut bytes) else { return Walk::Malformed };
            let number = (key >> 3) as u32;
            let payload = match key & 7 {
                0 => varint(&mut bytes).map(|_| &[][..]),
                1 | 5 => {
                    let width = if key & 7 == 1 { 8 } else { 4 };
                    let Some(rest) = bytes.get(width..) else { return Walk::Malformed };
                    bytes = rest;
                    Some(&[][..])
                }
                2 => {
                    let Some(length) = varint(&mut bytes).and_then(|n| usize::try_from(n).ok()) else {
                        return Walk::Malformed;
                    };
                    let Some((payload, rest)) = bytes.split_at_checked(length) else { return Walk::Malformed };
                    bytes = rest;
                    Some(payload)
                }
                _ => None, // groups: proto3 contracts have none
            };
            let Some(payload) = payload else { return Walk::Malformed };
            let Ok(at) = fields.binary_search_by_key(&number, |f| f.number) else { continue };
            let field = &fields[at];
            let occurrence = counts[at];
            // A packed repeated scalar holds many items in one length-delimited payload.
            counts[at] += match (&field.kind, key & 7) {
                (Kind::Scalar(None), 2) => payload.iter().filter(|&&b| b < 0x80).count(),
                (Kind::Scalar(Some(width)), 2) => payload.len() / width,
                _ => 1,
            };
            if field.repeated && counts[at] > field.max_items {
                return refused(format!(".{}", field.name), format!("must hold at most {} items", field.max_items));
            }
            let outcome = match field.kind {
                Kind::Text if payload.contains(&0) => {
                    refused(String::new(), "must not contain the NUL character (U+0000)".into())
                }
                Kind::Text if payload.len() > field.max_chars && chars(payload) > field.max_chars => {
                    refused(String::new(), format!("must be at most {} characters", field.max_chars))
                }
                Kind::Message(inner) if key & 7 == 2 => self.walk(inner, payload, depth + 1),
                _ => Walk::Passed,
            };
            if let Walk::Refused(mut refusal) = outcome {
                let mut path = format!(".{}", field.name);
                if field.repeated {
                    let _ = write!(path, "[{occurrence}]");
                }
                refusal.field.insert_str(0, &path);
                return Walk::Refused(refusal);
            }
            if let Walk::Malformed = outcome {
                return outcome;
            }
        }
        Walk::Passed
    }
}

fn refused(field: String, description: String) -> Walk {
    Walk::Refused(Refusal { field, description })
}

/// Unicode code points in UTF-8 (or close to it: malformed UTF-8 is the decoder's to refuse):
/// every byte that does not continue a character starts one.
fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
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

    const CREATE: &str = "frontline.ticketing.v1.CreateTicketRequest";

    fn check_ticket(ticket: pb::Ticket) -> Result<(), Refusal> {
        let request = pb::CreateTicketRequest { ticket: Some(ticket), ..Default::default() };
        check(CREATE, &request.encode_to_vec())
    }

    fn refused_field(ticket: pb::Ticket) -> String {
        check_ticket(ticket).expect_err("refused").field
    }

    #[test]
    fn a_nul_anywhere_in_text_is_found_and_named() {
        let subject = pb::Ticket { subject: "Printer\0 on fire".into(), ..Default::default() };
        assert_eq!(refused_field(subject), "ticket.subject");
        let tag = pb::Ticket { tags: vec!["billing".into(), "vip\0".into()], ..Default::default() };
        assert_eq!(refused_field(tag), "ticket.tags[1]");
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
        assert_eq!(check(CREATE, &bytes), Ok(()));
    }

    #[test]
    fn a_declared_limit_counts_characters_not_bytes() {
        let max = ticketing::TICKET_SUBJECT_MAX_CHARS;
        // Three bytes a character: three times the limit in bytes, exactly the limit in characters.
        let at_limit = pb::Ticket { subject: "票".repeat(max), ..Default::default() };
        assert_eq!(check_ticket(at_limit), Ok(()));
        let refusal = check_ticket(pb::Ticket { subject: "票".repeat(max + 1), ..Default::default() }).unwrap_err();
        assert_eq!(refusal.field, "ticket.subject");
        assert_eq!(refusal.description, format!("must be at most {max} characters"));
    }

    #[test]
    fn an_undeclared_string_has_the_default_limit() {
        let requester = |n| pb::Ticket { requester_id: "c".repeat(n), ..Default::default() };
        assert_eq!(check_ticket(requester(DEFAULT_MAX_CHARS)), Ok(()));
        assert_eq!(refused_field(requester(DEFAULT_MAX_CHARS + 1)), "ticket.requester_id");
    }

    #[test]
    fn a_list_past_its_items_is_refused_as_a_whole() {
        let max = ticketing::TICKET_TAGS_MAX_ITEMS;
        let tags = |n: usize| pb::Ticket { tags: (0..n).map(|i| format!("t{i}")).collect(), ..Default::default() };
        assert_eq!(check_ticket(tags(max)), Ok(()));
        let refusal = check_ticket(tags(max + 1)).unwrap_err();
        assert_eq!(
            (refusal.field.as_str(), refusal.description),
            ("ticket.tags", format!("must hold at most {max} items"))
        );
    }

    /// A contract of its own: `t.Node { Node child = 1; repeated int32 numbers = 2; }`, the
    /// input of one RPC.
    fn node_shapes() -> Shapes {
        use prost_types::{FieldDescriptorProto, FileDescriptorProto, MethodDescriptorProto, ServiceDescriptorProto};
        let field = |name: &str, number, r#type: Type, label: Label| FieldDescriptorProto {
            name: Some(name.into()),
            number: Some(number),
            r#type: Some(r#type as i32),
            label: Some(label as i32),
            type_name: (r#type == Type::Message).then(|| ".t.Node".into()),
            ..Default::default()
        };
        let node = DescriptorProto {
            name: Some("Node".into()),
            field: vec![
                field("child", 1, Type::Message, Label::Optional),
                field("numbers", 2, Type::Int32, Label::Repeated),
            ],
            ..Default::default()
        };
        let method = MethodDescriptorProto { input_type: Some(".t.Node".into()), ..Default::default() };
        let service = ServiceDescriptorProto { method: vec![method], ..Default::default() };
        let file = FileDescriptorProto {
            package: Some("t".into()),
            message_type: vec![node],
            service: vec![service],
            ..Default::default()
        };
        Shapes::of(&FileDescriptorSet { file: vec![file] })
    }

    fn length_delimited(number: u32, payload: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut bytes);
        prost::encoding::encode_varint(payload.len() as u64, &mut bytes);
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn packed_numbers_count_as_items() {
        let shapes = node_shapes();
        let packed = |n: usize| length_delimited(2, &vec![1u8; n]);
        assert!(matches!(shapes.walk(0, &packed(DEFAULT_MAX_ITEMS), 0), Walk::Passed));
        let Walk::Refused(refusal) = shapes.walk(0, &packed(DEFAULT_MAX_ITEMS + 1), 0) else { panic!("passed") };
        assert_eq!(refusal.field, ".numbers");
    }

    #[test]
    fn messages_nested_past_the_depth_are_refused_without_recursing_further() {
        // 2,000 levels, as a hostile client could send: refused at the 33rd, without
        // exhausting the stack.
        let shapes = node_shapes();
        let mut bytes = Vec::new();
        for _ in 0..2_000 {
            bytes = length_delimited(1, &bytes);
        }
        let Walk::Refused(refusal) = shapes.walk(0, &bytes, 0) else { panic!("passed") };
        assert!(refusal.description.contains("32 deep"), "{refusal:?}");
        assert!(refusal.field.starts_with(".child.child."), "{refusal:?}");
    }

    #[test]
    fn answers_are_not_checked() {
        let ticket = pb::Ticket { tags: vec!["t".into(); 1000], ..Default::default() };
        assert_eq!(check("frontline.ticketing.v1.Ticket", &ticket.encode_to_vec()), Ok(()));
    }

    #[test]
    fn every_contract_message_is_known() {
        let shapes = Shapes::get();
        assert!(shapes.by_name.contains_key("frontline.ticketing.v1.Ticket"));
        assert!(shapes.by_name.contains_key("frontline.knowledge.v1.Article"));
        assert!(shapes.by_name.len() > 100, "{} messages", shapes.by_name.len());
        assert!(shapes.requests.len() > 100, "{} requests", shapes.requests.len());
    }

    /// A field's comment that states a limit in words states the one the server enforces.
    #[test]
    fn comments_that_state_a_limit_agree_with_the_declared_one() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("frontline");
        let mut checked = 0;
        for package in std::fs::read_dir(&root).unwrap() {
            for file in std::fs::read_dir(package.unwrap().path().join("v1")).unwrap() {
                let path = file.unwrap().path();
                let mut comment = String::new();
                for line in std::fs::read_to_string(&path).unwrap().lines().map(str::trim) {
                    if let Some(text) = line.strip_prefix("//") {
                        comment.push_str(text);
                        continue;
                    }
                    if let Some(stated) = stated_chars(&comment).filter(|_| line.contains(" = ")) {
                        let declared = [
                            format!("max_chars = {stated}]"),
                            format!("max_chars: {stated},"),
                            format!("max_chars: {stated}}}"),
                        ];
                        assert!(
                            declared.iter().any(|d| line.contains(d.as_str())),
                            "{}: `{line}` is documented as at most {stated} characters",
                            path.display()
                        );
                        checked += 1;
                    }
                    comment.clear();
                }
            }
        }
        assert!(checked >= 5, "only {checked} stated limits found");
    }

    /// `Required, at most 65,536 characters.` → 65536.
    fn stated_chars(comment: &str) -> Option<usize> {
        let after = comment.split("at most ").nth(1)?;
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == ',').collect();
        after[digits.len()..].starts_with(" characters").then(|| digits.replace(',', "").parse().ok())?
    }
}

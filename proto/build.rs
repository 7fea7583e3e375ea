//! Compiles the .proto contracts with protox (a pure-Rust protobuf compiler), so a fresh
//! machine needs no `protoc`, keeps the descriptor set for gRPC server reflection, and turns
//! the field limits the contracts declare (`frontline.common.v1.limit`) into a Rust table.
use std::{env, fmt::Write, fs, path::PathBuf};

use prost_reflect::{DescriptorPool, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "frontline/common/v1/feed.proto",
        "frontline/common/v1/limits.proto",
        "frontline/common/v1/money.proto",
        "frontline/ticketing/v1/business_rules.proto",
        "frontline/ticketing/v1/conversation.proto",
        "frontline/ticketing/v1/customer.proto",
        "frontline/ticketing/v1/fields.proto",
        "frontline/ticketing/v1/escalation.proto",
        "frontline/ticketing/v1/organization.proto",
        "frontline/ticketing/v1/routing.proto",
        "frontline/ticketing/v1/service_levels.proto",
        "frontline/ticketing/v1/sla_clock.proto",
        "frontline/ticketing/v1/ticket.proto",
        "frontline/ticketing/v1/ticketing.proto",
        "frontline/ticketing/v1/views.proto",
        "frontline/ticketing/v1/webhooks.proto",
        "frontline/knowledge/v1/articles.proto",
        "frontline/knowledge/v1/events.proto",
        "frontline/knowledge/v1/knowledge.proto",
        "frontline/knowledge/v1/search.proto",
        "frontline/knowledge/v1/verification.proto",
        "frontline/workforce/v1/development.proto",
        "frontline/workforce/v1/people.proto",
        "frontline/workforce/v1/roster.proto",
        "frontline/workforce/v1/staffing.proto",
        "frontline/workforce/v1/workforce.proto",
        "frontline/analytics/v1/export.proto",
        "frontline/analytics/v1/analytics.proto",
        "frontline/analytics/v1/knowledge_metrics.proto",
        "frontline/analytics/v1/workforce_metrics.proto",
    ];
    println!("cargo:rerun-if-changed=frontline");
    let mut compiler = protox::Compiler::new(["."])?;
    compiler.include_source_info(true).include_imports(true).open_files(files)?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    // Encoded by protox itself, which keeps custom options (prost-types would drop them), so
    // reflection shows each field's limit too.
    fs::write(out_dir.join("frontline_descriptor.bin"), compiler.encode_file_descriptor_set())?;
    fs::write(out_dir.join("declared_limits.rs"), declared_limits(&compiler.descriptor_pool())?)?;
    let descriptors = compiler.file_descriptor_set();
    // Type names let feed payloads travel as typed `google.protobuf.Any` messages.
    let mut prost_config = prost_build::Config::new();
    prost_config.enable_type_names();
    // Its Debug is written by hand (src/lib.rs): a printed webhook shows neither its signing
    // secret nor its URL's path.
    prost_config.skip_debug(["frontline.ticketing.v1.Webhook"]);
    tonic_prost_build::configure()
        // Undecodable messages are INVALID_ARGUMENT, not tonic's INTERNAL (see src/codec.rs).
        .codec_path("crate::codec::FrontlineCodec")
        .build_server(true)
        .build_client(true)
        .compile_fds_with_config(descriptors, prost_config)?;
    Ok(())
}

/// The limits the contracts declare, as Rust: a table the codec checks requests against, and a
/// constant per limit (`limits::ticketing::TICKET_SUBJECT_MAX_CHARS`) for domain code that must
/// apply the same number to input that arrives another way (a CSV line, an imported record).
fn declared_limits(pool: &DescriptorPool) -> Result<String, Box<dyn std::error::Error>> {
    let extension = pool.get_extension_by_name("frontline.common.v1.limit").ok_or("limits.proto is not compiled")?;
    let mut table = String::from(
        "/// (message, field number, most characters, most items) as declared; 0 where the kind's default holds.\n\
         pub(crate) static DECLARED: &[(&str, u32, u32, u32)] = &[\n",
    );
    let mut constants: std::collections::BTreeMap<String, String> = Default::default();
    for message in pool.all_messages() {
        for field in message.fields() {
            let options = field.options();
            if !options.has_extension(&extension) {
                continue;
            }
            let limit = options.get_extension(&extension);
            let Value::Message(limit) = limit.as_ref() else { return Err("limit is not a message".into()) };
            let number = |name: &str| limit.get_field_by_name(name).and_then(|v| v.as_u32()).unwrap_or(0);
            let (chars, items) = (number("max_chars"), number("max_items"));
            let text = field.kind() == prost_reflect::Kind::String;
            if (chars == 0 && items == 0) || (chars > 0 && !text) || (items > 0 && !field.is_list()) {
                return Err(format!(
                    "{}: a limit sets max_chars on a string, max_items on a repeated field",
                    field.full_name()
                )
                .into());
            }
            writeln!(table, "    ({:?}, {}, {chars}, {items}),", message.full_name(), field.number())?;
            // `frontline.ticketing.v1` → module `ticketing`; `Ticket.subject` → `TICKET_SUBJECT`.
            let package = message.package_name().trim_start_matches("frontline.").trim_end_matches(".v1");
            let owner = message.full_name().trim_start_matches(message.package_name()).trim_start_matches('.');
            let stem = format!("{}_{}", upper_snake(owner), field.name().to_uppercase());
            let module = constants.entry(package.replace('.', "_")).or_default();
            for (kind, value) in [("CHARS", chars), ("ITEMS", items)] {
                if value > 0 {
                    writeln!(module, "    pub const {stem}_MAX_{kind}: usize = {value};")?;
                }
            }
        }
    }
    table.push_str("];\n");
    for (module, body) in constants {
        write!(table, "\npub mod {module} {{\n{body}}}\n")?;
    }
    Ok(table)
}

/// `SlaPolicy.Target` → `SLA_POLICY_TARGET`.
fn upper_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c == '.' {
            out.push('_');
        } else if c.is_uppercase() && i > 0 && !out.ends_with('_') {
            out.push('_');
            out.push(c);
        } else {
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

//! Compiles the .proto contracts with protox (a pure-Rust protobuf compiler), so a fresh
//! machine needs no `protoc`, and keeps the descriptor set for gRPC server reflection.
use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "frontline/common/v1/feed.proto",
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
    let descriptors = protox::compile(files, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("frontline_descriptor.bin"), descriptors.encode_to_vec())?;
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

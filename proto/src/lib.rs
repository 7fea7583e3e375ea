//! Frontline's protobuf contracts, compiled for tonic. Owns the wire types and how they travel
//! (the codec), nothing else: no domain behaviour lives here, so every crate (and every client)
//! can depend on it.

/// The encoded descriptor set of every contract, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/frontline_descriptor.bin"));

/// The `ErrorInfo.domain` of every Frontline error (here, since the codec refuses some requests
/// itself).
pub const ERROR_DOMAIN: &str = "frontline.dev";

pub mod codec;
pub mod text;

pub mod common {
    pub mod v1 {
        tonic::include_proto!("frontline.common.v1");
    }
}

pub mod ticketing {
    pub mod v1 {
        tonic::include_proto!("frontline.ticketing.v1");
    }
}

pub mod knowledge {
    pub mod v1 {
        tonic::include_proto!("frontline.knowledge.v1");
    }
}

pub mod workforce {
    pub mod v1 {
        tonic::include_proto!("frontline.workforce.v1");
    }
}

pub mod analytics {
    pub mod v1 {
        tonic::include_proto!("frontline.analytics.v1");
    }
}

/// Names the message type inside a `google.protobuf.Any`, as feed payloads carry it.
pub fn type_url<M: prost::Name>() -> String {
    M::type_url()
}

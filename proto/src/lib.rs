//! Frontline's protobuf contracts, compiled for tonic. Owns the wire types and how they travel
//! (the codec), nothing else: no domain behaviour lives here, so every crate (and every client)
//! can depend on it.

/// The encoded descriptor set of every contract, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/frontline_descriptor.bin"));

/// The `ErrorInfo.domain` of every Frontline error (here, since the codec refuses some requests
/// itself).
pub const ERROR_DOMAIN: &str = "frontline.dev";

pub mod codec;
pub mod limits;

pub mod common {
    pub mod v1 {
        tonic::include_proto!("frontline.common.v1");
    }
}

pub mod ticketing {
    pub mod v1 {
        tonic::include_proto!("frontline.ticketing.v1");

        /// By hand (see build.rs): a printed webhook shows the last four characters of its
        /// secret and its URL up to the host, since the rest of either lets one sign or post.
        impl std::fmt::Debug for Webhook {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let tail: String = self.secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                let secret = if self.secret.is_empty() { String::new() } else { format!("…{tail}") };
                f.debug_struct("Webhook")
                    .field("id", &self.id)
                    .field("name", &self.name)
                    .field("url", &crate::url_origin(&self.url))
                    .field("event_types", &self.event_types)
                    .field("secret", &secret)
                    .field("allow_private_targets", &self.allow_private_targets)
                    .field("active", &self.active)
                    .field("etag", &self.etag)
                    .field("created_at", &self.created_at)
                    .field("updated_at", &self.updated_at)
                    .field("previous_secret_expires_at", &self.previous_secret_expires_at)
                    .finish()
            }
        }
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

/// `https://hooks.slack.com/…` for `https://hooks.slack.com/services/T0/B0/XXXX`.
fn url_origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{host}/…")
        }
        None if url.is_empty() => String::new(),
        None => "…".into(),
    }
}

/// Names the message type inside a `google.protobuf.Any`, as feed payloads carry it.
pub fn type_url<M: prost::Name>() -> String {
    M::type_url()
}

//! The TLS client configuration for the few HTTP requests Frontline makes to the web
//! (webhook deliveries, an identity provider's JWKS): rustls on ring, Mozilla's root
//! certificates, HTTP/1.1. One place, so every outbound https call trusts the same roots.
use std::sync::Arc;

use tokio_rustls::rustls::{ClientConfig, Error, RootCertStore, crypto::ring};

pub fn client_config() -> Result<ClientConfig, Error> {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

//! Every call to a service needs a valid bearer token, and a role sees what it may.
use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use frontline_proto::ticketing::v1::{self as pb, ListTicketsRequest};
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{Bearer, TestApp, error_reason, expect_error},
};

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub(crate) fn sign(secret: &[u8], claims: serde_json::Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key).unwrap()
}

pub(crate) fn install_secret(app: &TestApp) -> Vec<u8> {
    std::fs::read_to_string(frontline_shared::auth::secret_path(&app.settings.data_dir))
        .unwrap()
        .trim()
        .as_bytes()
        .to_vec()
}

pub(crate) fn claims(exp: u64) -> serde_json::Value {
    serde_json::json!({ "sub": "mallory", "role": "administrator", "iss": "frontline", "aud": "frontline", "iat": now(), "exp": exp })
}

async fn list_with(app: &TestApp, bearer: Bearer) -> tonic::Status {
    let mut client = app.ticketing_as(bearer).await;
    expect_error(client.list_tickets(ListTicketsRequest::default()).await)
}

on_both_backends! {
    async fn calls_without_a_token_are_unauthenticated(app) {
        let status = list_with(&app, Bearer::none()).await;
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("frontline token"), "says how to get one: {}", status.message());
    }
}

on_both_backends! {
    async fn expired_tokens_are_unauthenticated(app) {
        let token = sign(&install_secret(&app), claims(now() - 3600));
        let status = list_with(&app, Bearer::token(&token)).await;
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("expired"), "{}", status.message());
    }
}

on_both_backends! {
    async fn tokens_signed_with_another_key_are_unauthenticated(app) {
        let token = sign(b"not-this-install's-secret-not-this-install's-secret", claims(now() + 3600));
        let status = list_with(&app, Bearer::token(&token)).await;
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("signature"), "{}", status.message());
    }
}

on_both_backends! {
    async fn unsigned_alg_none_tokens_are_unauthenticated(app) {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims(now() + 3600).to_string());
        let status = list_with(&app, Bearer::token(&format!("{header}.{payload}."))).await;
        assert_eq!(status.code(), Code::Unauthenticated);
    }
}

on_both_backends! {
    async fn tokens_for_another_audience_are_unauthenticated(app) {
        let mut foreign = claims(now() + 3600);
        foreign["aud"] = "someone-else".into();
        let status = list_with(&app, Bearer::token(&sign(&install_secret(&app), foreign))).await;
        assert_eq!(status.code(), Code::Unauthenticated);
    }
}

on_both_backends! {
    /// A scheduling tool pulls rosters; it has no business reading tickets.
    async fn scheduler_cannot_read_tickets(app) {
        let mut client = app.ticketing(Role::Scheduler).await;
        let status = expect_error(client.list_tickets(ListTicketsRequest::default()).await);
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(error_reason(&status), "PERMISSION_DENIED");
    }
}

on_both_backends! {
    /// BI pipelines read everything and change nothing.
    async fn bi_reader_reads_but_cannot_write(app) {
        let mut client = app.ticketing(Role::BiReader).await;
        client.list_tickets(ListTicketsRequest::default()).await.expect("BI may list tickets");
        let status = expect_error(client.create_customer(pb::CreateCustomerRequest {
            customer: Some(pb::Customer { name: "Someone".into(), ..Default::default() }),
            request_id: String::new(),
        }).await);
        assert_eq!(status.code(), Code::PermissionDenied);
    }
}

/// The data directory holds signing secrets and every customer's conversation: 0700, and the
/// files in it 0600 (the SQLite databases, their WAL files, the secrets), whatever the umask.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_everything_in_it_is_for_the_owner_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = crate::support::TestApp::spawn(crate::support::Backend::Sqlite).await;
    let mut client = app.ticketing(frontline_shared::auth::Role::Administrator).await;
    crate::tickets::requester(&mut client).await; // something written, so the WAL exists
    let dir = app.settings.data_dir.clone();
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files += 1;
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    assert!(files >= 5, "four databases and the signing secret at least, found {files}");
    app.stop().await;
}

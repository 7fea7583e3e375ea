//! What every caller meets first: health for probes, reflection for grpcurl, gRPC-Web for browsers.
use frontline::ServiceKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::on_both_backends;

on_both_backends! {
    /// Probes ask without a token; every service and the process report SERVING.
    async fn health_reports_every_service_serving(app) {
        let mut health = HealthClient::new(app.channel().await);
        for name in std::iter::once("").chain(ServiceKind::ALL.iter().map(|s| s.grpc_name())) {
            let status = health.check(HealthCheckRequest { service: name.into() }).await.unwrap().into_inner().status;
            assert_eq!(status, ServingStatus::Serving as i32, "health of `{name}`");
        }
    }
}

on_both_backends! {
    /// `grpcurl -plaintext 127.0.0.1:50051 list` works with no proto files.
    async fn reflection_lists_all_four_services(app) {
        let mut reflection = ServerReflectionClient::new(app.channel().await);
        let request = ServerReflectionRequest { host: String::new(), message_request: Some(MessageRequest::ListServices(String::new())) };
        let mut responses = reflection.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
        let response = responses.message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else { panic!("no service list") };
        let names: Vec<_> = list.service.iter().map(|service| service.name.as_str()).collect();
        for service in ServiceKind::ALL {
            assert!(names.contains(&service.grpc_name()), "{} missing from {names:?}", service.grpc_name());
        }
        assert!(names.contains(&"grpc.health.v1.Health"));

        // And `grpcurl describe` can resolve a service's methods and messages.
        let describe = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol("frontline.ticketing.v1.TicketingService".into())),
        };
        let mut responses = reflection.server_reflection_info(tokio_stream::iter([describe])).await.unwrap().into_inner();
        let response = responses.message().await.unwrap().unwrap();
        assert!(matches!(response.message_response, Some(MessageResponse::FileDescriptorResponse(_))));
    }
}

/// Sends one raw HTTP/1.1 request, as a browser would, and returns the whole response as text.
async fn http1(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

on_both_backends! {
    /// A browser's preflight allows the headers a gRPC-Web client sends.
    async fn cors_preflight_allows_grpc_web_headers(app) {
        let response = http1(
            app.addr,
            b"OPTIONS /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: localhost\r\nOrigin: https://console.example\r\n\
              Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type,x-grpc-web,authorization\r\n\
              Connection: close\r\n\r\n",
        )
        .await
        .to_lowercase();
        assert!(response.starts_with("http/1.1 200"), "{response}");
        assert!(response.contains("access-control-allow-origin: https://console.example"), "{response}");
        let allowed = response.lines().find(|line| line.starts_with("access-control-allow-headers")).unwrap_or_default().to_string();
        for header in ["content-type", "x-grpc-web", "authorization"] {
            assert!(allowed.contains(header), "{header} not allowed: {allowed}");
        }
    }
}

on_both_backends! {
    /// gRPC-Web over HTTP/1.1 reaches the same services, and the browser's script may read
    /// the gRPC status headers.
    async fn grpc_web_calls_work_over_http1(app) {
        // HealthCheckRequest { service: "" } encodes to nothing: a frame of flag 0, length 0.
        let body = [0u8, 0, 0, 0, 0];
        let mut request = format!(
            "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc-web+proto\r\n\
             X-Grpc-Web: 1\r\nOrigin: https://console.example\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&body);
        let response = http1(app.addr, &request).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.to_lowercase().contains("content-type: application/grpc-web"), "{response}");
        assert!(response.contains("grpc-status:0"), "trailers frame says OK: {response:?}");
        let exposed = response.to_lowercase().lines().find(|line| line.starts_with("access-control-expose-headers")).unwrap_or_default().to_string();
        for header in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
            assert!(exposed.contains(header), "{header} not exposed: {exposed}");
        }
    }
}

on_both_backends! {
    /// Kubernetes stops routing to a pod as soon as SIGTERM arrives: readiness (each service's
    /// status) turns NOT_SERVING at once, liveness ("") stays SERVING, and calls are still
    /// answered during the drain delay.
    async fn readiness_turns_not_serving_as_soon_as_shutdown_starts(app) {
        let mut draining = crate::support::TestApp::spawn_with(crate::support::Backend::Sqlite, |settings| {
            settings.server.shutdown_drain_delay = std::time::Duration::from_secs(2);
        }).await;
        let mut health = HealthClient::new(draining.channel().await);
        let shutdown = tokio::spawn(draining.take_app().shutdown());
        let readiness = crate::support::eventually(std::time::Duration::from_secs(5), || {
            let mut health = health.clone();
            async move {
                let status = health.check(HealthCheckRequest { service: ServiceKind::Ticketing.grpc_name().into() }).await.ok()?.into_inner().status;
                (status == ServingStatus::NotServing as i32).then_some(status)
            }
        }).await;
        assert_eq!(readiness, ServingStatus::NotServing as i32);
        let liveness = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
        assert_eq!(liveness, ServingStatus::Serving as i32);
        shutdown.await.unwrap().unwrap();
        draining.stop().await;
        let _ = &app;
    }
}

//! An OTLP/gRPC trace receiver for tests: it keeps every span it is sent, with the
//! `service.name` of the process that sent it, so a test can follow one trace across
//! processes as a trace viewer would.
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
    trace::v1::{Span, span::SpanKind},
};
use tonic::{Request, Response, Status};

/// A span's id and the `service.name` of the process that sent it.
pub type ServiceOfSpan = (Vec<u8>, String);

/// An OTLP/gRPC trace receiver that keeps every span it is sent.
#[derive(Clone, Default)]
pub struct Receiver {
    pub spans: Arc<Mutex<Vec<Span>>>,
    /// The `service.name` of each span's process, by span id.
    pub services: Arc<Mutex<Vec<ServiceOfSpan>>>,
}

impl Receiver {
    /// The `service.name` of the process that sent `span`.
    pub fn service_of(&self, span: &Span) -> Option<String> {
        let services = self.services.lock().unwrap();
        services.iter().find(|(id, _)| *id == span.span_id).map(|(_, name)| name.clone())
    }
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        let mut services = self.services.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|resource| &resource.attributes)
                .find(|attribute| attribute.key == "service.name")
                .and_then(|attribute| match attribute.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(name) => Some(name.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for scope in resource.scope_spans {
                services.extend(scope.spans.iter().map(|span| (span.span_id.clone(), service.clone())));
                spans.extend(scope.spans);
            }
        }
        Ok(Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

pub async fn start_receiver() -> (SocketAddr, Receiver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let receiver = Receiver::default();
    let service = TraceServiceServer::new(receiver.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (addr, receiver)
}

/// The first span of `kind` named `name` (CLIENT and SERVER spans of one call share a name).
pub fn find<'a>(spans: &'a [Span], kind: SpanKind, name: &str) -> Option<&'a Span> {
    spans.iter().find(|span| span.kind == kind as i32 && span.name == name)
}

pub fn attribute(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|a| a.key == key)?.value.as_ref()?.value.as_ref()?;
    Some(match value {
        Value::StringValue(text) => text.clone(),
        Value::IntValue(number) => number.to_string(),
        other => format!("{other:?}"),
    })
}

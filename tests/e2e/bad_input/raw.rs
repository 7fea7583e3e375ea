//! Calls any RPC of the suite by name with bytes as they are: the harness builds requests from
//! descriptors (or from nothing at all), so it needs no generated client per RPC.
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use prost_reflect::MethodDescriptor;
use tonic::{
    Request, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};

/// Passes message bytes through untouched in both directions.
#[derive(Clone, Copy, Default)]
pub struct BytesCodec;

impl Codec for BytesCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = BytesCodec;
    type Decoder = BytesCodec;

    fn encoder(&mut self) -> Self::Encoder {
        *self
    }

    fn decoder(&mut self) -> Self::Decoder {
        *self
    }
}

impl Encoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// How long a call that should answer may take before the harness calls it hung. Generous:
/// a 1 MiB article is analysed for search in the handler.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);
/// A server stream that has sent nothing after this long was accepted and is waiting for news.
const STREAM_OPEN_AFTER: Duration = Duration::from_millis(200);

/// What a call came to, as the harness judges it.
#[derive(Debug)]
pub enum Outcome {
    /// The call answered, with its first response message (none from a server stream that is
    /// open and waiting).
    Succeeded(Option<Bytes>),
    Failed(Status),
}

/// `frames` are the request messages (exactly one for unary and server-streaming RPCs);
/// `authorization` is the whole header value, or none.
pub async fn call(
    channel: &Channel,
    method: &MethodDescriptor,
    authorization: Option<&str>,
    frames: Vec<Bytes>,
) -> Outcome {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    if let Err(error) = grpc.ready().await {
        return Outcome::Failed(Status::unavailable(format!("channel not ready: {error}")));
    }
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let path = PathAndQuery::try_from(path).expect("RPC paths are valid URI paths");
    let mut request = Request::new(futures::stream::iter(frames));
    if let Some(value) = authorization {
        request.metadata_mut().insert("authorization", value.parse().expect("authorization values are ASCII"));
    }
    // One code path for all four kinds: a unary RPC is a stream of one message each way.
    let exchange = async move {
        let mut responses = grpc.streaming(request, path, BytesCodec).await?.into_inner();
        responses.message().await
    };
    let wait = if method.is_server_streaming() { STREAM_OPEN_AFTER } else { ANSWER_WITHIN };
    match tokio::time::timeout(wait, exchange).await {
        Ok(Ok(first)) => Outcome::Succeeded(first),
        Ok(Err(status)) => Outcome::Failed(status),
        Err(_) if method.is_server_streaming() => Outcome::Succeeded(None),
        Err(_) => Outcome::Failed(Status::deadline_exceeded(format!("no answer within {ANSWER_WITHIN:?}"))),
    }
}

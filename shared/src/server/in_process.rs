//! Calls between services that share a process go over an in-memory HTTP/2 connection to the
//! process's own server: the same generated client, interceptors, deadlines and server stack
//! as a call across the network — one code path — without a socket.
use std::{io, pin::Pin};

use futures::Stream;
use hyper_util::rt::TokioIo;
use tokio::{io::DuplexStream, sync::mpsc};
use tonic::transport::{Channel, Endpoint};

const BUFFER_BYTES: usize = 256 * 1024;

/// Opens in-memory connections to the in-process server.
#[derive(Clone)]
pub struct InProcessConnector {
    connections: mpsc::UnboundedSender<DuplexStream>,
}

impl InProcessConnector {
    pub fn channel(&self) -> Channel {
        let connections = self.connections.clone();
        Endpoint::from_static("http://in-process.frontline").connect_with_connector_lazy(tower::service_fn(
            move |_: http::Uri| {
                let connections = connections.clone();
                async move {
                    let (client, server) = tokio::io::duplex(BUFFER_BYTES);
                    connections.send(server).map_err(|_| {
                        io::Error::new(io::ErrorKind::ConnectionRefused, "the in-process server has stopped")
                    })?;
                    Ok::<_, io::Error>(TokioIo::new(client))
                }
            },
        ))
    }
}

/// The connector and the stream of connections to hand to the server as its incoming.
pub fn in_process() -> (InProcessConnector, Pin<Box<dyn Stream<Item = io::Result<DuplexStream>> + Send>>) {
    let (connections, mut accepted) = mpsc::unbounded_channel();
    let incoming = async_stream::stream! {
        while let Some(connection) = accepted.recv().await {
            yield Ok(connection);
        }
    };
    (InProcessConnector { connections }, Box::pin(incoming))
}

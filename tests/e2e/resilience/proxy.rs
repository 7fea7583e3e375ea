//! A TCP proxy the test can cut, standing between Frontline and the machine's PostgreSQL: the
//! way to take the database away from one Frontline without stopping a server other tests use.
//! Cut, it drops every connection it carries and refuses new ones (its port stops listening),
//! as a stopped PostgreSQL would; restored, it listens on the same port again.
use std::{net::SocketAddr, sync::Mutex};

use tokio::{
    net::{TcpListener, TcpStream},
    task::{JoinHandle, JoinSet},
};

pub struct CuttableProxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    forwarding: Mutex<Option<JoinHandle<()>>>,
}

impl CuttableProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        Self { addr, upstream, forwarding: Mutex::new(Some(tokio::spawn(forward(listener, upstream)))) }
    }

    /// Drops every connection and stops listening.
    pub fn cut(&self) {
        if let Some(forwarding) = self.forwarding.lock().unwrap().take() {
            // Aborting the task drops the listener and its JoinSet, which aborts (and so closes)
            // every forwarded connection.
            forwarding.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("the proxy's port again");
        *self.forwarding.lock().unwrap() = Some(tokio::spawn(forward(listener, self.upstream)));
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.cut();
    }
}

async fn forward(listener: TcpListener, upstream: SocketAddr) {
    let mut connections = JoinSet::new();
    while let Ok((mut client, _)) = listener.accept().await {
        connections.spawn(async move {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
        while connections.try_join_next().is_some() {} // forget finished connections
    }
}

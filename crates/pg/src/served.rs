//! A logged-in session being served: its relay runs on one worker until the session ends or,
//! between statements, the worker asks it to move (see `Workers::departure`); then both of its
//! sockets are registered with the other worker's reactor and the relay goes on there, with
//! its prepared statements, portals, masking and recording as they were.

use crate::PgError;
use crate::cancel::Registration;
use crate::frame::FrameReader;
use crate::listener::PgGateway;
use crate::session::{End, Relay, audit_protocol_error};
use crate::stream::{MaybeTls, ReadHalf, WriteHalf};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncWrite, Sink, sink};
use warden_core::workers::Workers;
use warden_tls::Unbound;

/// A session on the worker that serves it now.
pub struct Served {
    /// What outlives a move.
    pub ends: Ends<WriteHalf>,
    /// Frames from the client.
    pub client: FrameReader<ReadHalf>,
    /// Frames from the server.
    pub server: FrameReader<ReadHalf>,
}

/// The session's state apart from its reading halves: the relay (holding the writing halves,
/// or placeholders on the way between workers) and what closing the session needs.
pub struct Ends<W> {
    /// The gateway it belongs to.
    pub gateway: Arc<PgGateway>,
    /// Its relay.
    pub relay: Relay<W, W>,
    /// Whether the upstream session was opened read-only.
    pub read_only: bool,
    /// The client's cancel key, removed when the session ends.
    pub cancel: Registration,
    /// Where the client connected from.
    pub peer: SocketAddr,
}

/// A session between two workers: nothing is in flight on either socket.
struct Moving {
    ends: Ends<Sink>,
    client: (FrameReader<()>, Unbound),
    server: (FrameReader<()>, Unbound),
}

impl Served {
    /// Serves the session to its end, on this worker and on any it moves to.
    pub fn run(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let mut served = self;
            let residence = Workers::shared().reside();
            let result = served
                .ends
                .relay
                .run(&mut served.client, &mut served.server)
                .await;
            drop(residence);
            match result {
                Ok(End::Move(worker)) => match served.depart() {
                    Ok(moving) => {
                        Workers::shared().spawn_on(worker, async move {
                            moving.arrive().run().await;
                        });
                    }
                    Err((ends, error)) => {
                        tracing::error!(%error, "cannot move a session between workers");
                        ends.close(Err(PgError::Io(error))).await;
                    }
                },
                result => served.ends.close(result).await,
            }
        })
    }

    /// Takes the sockets off this worker's reactor, duplicated for the next one.
    fn depart(self) -> Result<Moving, (Box<Ends<Sink>>, std::io::Error)> {
        let Served {
            ends,
            client,
            server,
        } = self;
        let (ends, client_write, server_write) = ends.with_writers(sink(), sink());
        let (client, client_read) = client.with_inner(());
        let (server, server_read) = server.with_inner(());
        let streams = MaybeTls::unsplit(client_read, client_write)
            .and_then(|c| MaybeTls::unsplit(server_read, server_write).map(|s| (c, s)));
        match streams {
            Ok((client_stream, server_stream)) => Ok(Moving {
                ends,
                client: (client, client_stream.unbind()),
                server: (server, server_stream.unbind()),
            }),
            Err(error) => Err((Box::new(ends), error)),
        }
    }
}

impl Moving {
    /// The session on the calling worker, its sockets registered with this worker's reactor.
    fn arrive(self) -> Served {
        let (client_read, client_write) = self.client.1.bind().split();
        let (server_read, server_write) = self.server.1.bind().split();
        let (ends, _, _) = self.ends.with_writers(client_write, server_write);
        Served {
            ends,
            client: self.client.0.with_inner(client_read).0,
            server: self.server.0.with_inner(server_read).0,
        }
    }
}

impl<W: AsyncWrite + Unpin> Ends<W> {
    /// The same with other writers in the relay; returns the old ones.
    fn with_writers<W2>(self, client: W2, server: W2) -> (Ends<W2>, W, W) {
        let (relay, client, server) = self.relay.with_writers(client, server);
        let ends = Ends {
            gateway: self.gateway,
            relay,
            read_only: self.read_only,
            cancel: self.cancel,
            peer: self.peer,
        };
        (ends, client, server)
    }

    /// Ends the session: audits a protocol violation, closes the relay and its recording, and
    /// writes the session's end to the audit log.
    async fn close(self, result: Result<End, PgError>) {
        let Ends {
            gateway,
            relay,
            read_only,
            cancel,
            peer,
        } = self;
        let session = relay.session().clone();
        if let Err(error) = &result
            && matches!(error, PgError::Malformed(_) | PgError::TooLarge { .. })
        {
            audit_protocol_error(&gateway.pipeline, Some(&session), error).await;
        }
        let (totals, recorded) = relay.finish_session().await;
        let _ = gateway
            .pipeline
            .close(
                &session,
                serde_json::json!({
                    "statements": totals.forwarded,
                    "refused": totals.refused,
                    "read_only": read_only,
                    "error": result.as_ref().err().map(|e| e.to_string()),
                    "recording": recorded.map(|r| serde_json::json!({
                        "sha256": r.sha256_hex,
                        "bytes": r.bytes,
                        "truncated": r.truncated,
                    })),
                }),
            )
            .await;
        drop(cancel);
        if let Err(error) = result {
            tracing::debug!(%peer, %error, "postgres connection ended with an error");
        }
    }
}

//! Moving a connection to another thread's runtime: its socket is registered again with the
//! reactor of the runtime that drives it from then on, TLS session and all.

use crate::stream::{MaybeTls, ReadHalf, WriteHalf};
use std::io;
use std::os::fd::AsFd;
use tokio::net::TcpStream;

/// A connection on its way to another runtime: the stream as it was, and a duplicate of its
/// socket to register there (none when the socket could not be duplicated).
pub struct Unbound {
    stream: MaybeTls,
    socket: Option<std::net::TcpStream>,
}

impl MaybeTls {
    /// Joins the halves of one stream again; an error when they are halves of different ones.
    pub fn unsplit(read: ReadHalf, write: WriteHalf) -> io::Result<MaybeTls> {
        let mismatch = || io::Error::other("the halves are not of one stream");
        match (read, write) {
            (ReadHalf::Plain(read), WriteHalf::Plain(write)) => read
                .reunite(write)
                .map(MaybeTls::Plain)
                .map_err(|_| mismatch()),
            (ReadHalf::Tls(read), WriteHalf::Tls(write)) if read.is_pair_of(&write) => {
                Ok(read.unsplit(write))
            }
            _ => Err(mismatch()),
        }
    }

    /// Readies the stream to be driven by another runtime: duplicates its socket, to be
    /// registered there by [`Unbound::bind`]. Nothing may be in flight on the stream.
    pub fn unbind(self) -> Unbound {
        let socket = match self.tcp().as_fd().try_clone_to_owned() {
            Ok(fd) => Some(std::net::TcpStream::from(fd)),
            Err(error) => {
                tracing::warn!(%error, "cannot duplicate a moving connection's socket");
                None
            }
        };
        Unbound {
            socket,
            stream: self,
        }
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTls::Plain(tcp) => tcp,
            MaybeTls::Server(tls) => tls.get_ref().0,
            MaybeTls::Client(tls) => tls.get_ref().0,
        }
    }

    fn tcp_mut(&mut self) -> &mut TcpStream {
        match self {
            MaybeTls::Plain(tcp) => tcp,
            MaybeTls::Server(tls) => tls.get_mut().0,
            MaybeTls::Client(tls) => tls.get_mut().0,
        }
    }
}

impl Unbound {
    /// The stream, registered with the calling runtime's reactor; call it on the runtime that
    /// drives the stream from now on. The old registration is dropped, which removes it from
    /// the old reactor. When the socket cannot be registered here, the stream keeps the old
    /// registration, which still works, with a cross-thread wake-up for every event.
    pub fn bind(self) -> MaybeTls {
        let Unbound { mut stream, socket } = self;
        match socket.map(TcpStream::from_std) {
            Some(Ok(fresh)) => drop(std::mem::replace(stream.tcp_mut(), fresh)),
            Some(Err(error)) => {
                tracing::warn!(%error, "cannot register a moved connection: it keeps its old reactor");
            }
            None => {}
        }
        stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn a_stream_moves_between_runtimes_and_keeps_working() {
        let first = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let second = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (mut peer, stream) = first.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let connect = TcpStream::connect(addr);
            let ((accepted, _), connected) =
                tokio::join!(async { listener.accept().await.unwrap() }, connect);
            let (mut read, mut write) = MaybeTls::Plain(connected.unwrap()).split();
            let mut peer = accepted;
            write.write_all(b"one").await.unwrap();
            let mut got = [0u8; 3];
            peer.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"one");
            peer.write_all(b"two").await.unwrap();
            read.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"two");
            let stream = MaybeTls::unsplit(read, write).unwrap();
            (peer, stream.unbind())
        });
        // The first runtime keeps the peer; the moved stream is driven by the second alone.
        let worker = std::thread::spawn(move || {
            second.block_on(async move {
                let (mut read, mut write) = stream.bind().split();
                let mut got = [0u8; 5];
                read.read_exact(&mut got).await.unwrap();
                write.write_all(b"four").await.unwrap();
                got
            })
        });
        first.block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            peer.write_all(b"three").await.unwrap();
            let mut got = [0u8; 4];
            peer.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"four");
        });
        assert_eq!(&worker.join().unwrap(), b"three");
    }

    #[test]
    fn halves_of_different_streams_are_refused() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let a = TcpStream::connect(addr).await.unwrap();
            let b = TcpStream::connect(addr).await.unwrap();
            let (read_a, _write_a) = MaybeTls::Plain(a).split();
            let (_read_b, write_b) = MaybeTls::Plain(b).split();
            assert!(MaybeTls::unsplit(read_a, write_b).is_err());
        });
    }
}

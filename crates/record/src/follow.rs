//! Reading a recording that is still being written, as `tail -f` does.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::sync::mpsc;

use crate::RecordingReader;

/// Bytes read from the file per chunk handed to the reader.
const CHUNK: usize = 64 * 1024;

/// A reader of the unfinished recording `file` (open at `part`) that, at the end of the bytes
/// written so far, waits `poll` and reads again, until `part` is gone (renamed when the
/// recording is finished, or removed); then it reads what is left and ends.
pub(crate) fn reader(file: tokio::fs::File, part: PathBuf, poll: Duration) -> RecordingReader {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(pump(file, part, poll, tx));
    Box::new(ChannelReader {
        rx,
        chunk: Vec::new(),
        pos: 0,
    })
}

/// Copies the file to the channel as it grows; stops when the reader is dropped.
async fn pump(
    mut file: tokio::fs::File,
    part: PathBuf,
    poll: Duration,
    tx: mpsc::Sender<io::Result<Vec<u8>>>,
) {
    let mut buf = vec![0u8; CHUNK];
    let mut finished = false;
    loop {
        let n = match file.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        if n > 0 {
            if tx.send(Ok(buf[..n].to_vec())).await.is_err() {
                return;
            }
            continue;
        }
        if finished {
            return;
        }
        // The writer renames the file only after its last write, so once the `.part` name is
        // gone one more pass to the end reads everything.
        match tokio::fs::symlink_metadata(&part).await {
            Ok(_) => tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = tx.closed() => return,
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => finished = true,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
    }
}

/// The reading end: chunks from the channel, end of file when the pump stops.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let this = &mut *self;
            if this.pos < this.chunk.len() {
                let n = buf.remaining().min(this.chunk.len() - this.pos);
                buf.put_slice(&this.chunk[this.pos..this.pos + n]);
                this.pos += n;
                return Poll::Ready(Ok(()));
            }
            match ready!(this.rx.poll_recv(cx)) {
                Some(Ok(chunk)) => {
                    this.chunk = chunk;
                    this.pos = 0;
                }
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

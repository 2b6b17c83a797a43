//! Recordings stored compressed: each write to the file is one zstd frame of the events it
//! carries, and reading decodes the frames one after the other.
//!
//! A frame per write keeps no compression state between writes (so a session costs no
//! compressor memory; the one compressor of each thread serves all its sessions), leaves every
//! write decodable on its own (a recording still being written reads up to its last write), and
//! makes a file cut short by a crash readable up to its last complete block.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};
use zstd::stream::raw::{DParameter, Decoder, InBuffer, Operation, OutBuffer};

/// How a recording's bytes are stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compression {
    /// The events as they are.
    #[default]
    None,
    /// zstd frames (`.zst` after the kind's extension); read back decoded.
    Zstd,
}

impl Compression {
    /// The file name suffix after the kind's extension: `.zst` or nothing.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Zstd => ZSTD_SUFFIX,
            Self::None => "",
        }
    }
}

/// Suffix of a compressed recording's file name, before `.part`.
pub(crate) const ZSTD_SUFFIX: &str = ".zst";

/// zstd level: the fastest of the regular levels; recordings repeat themselves enough that it
/// already shrinks them several times.
const LEVEL: i32 = 1;

/// Largest window a frame may ask the reader for (1 MiB): a frame never spans more than one
/// write of the writer's buffer, and level 1 caps its window at 512 KiB.
const WINDOW_LOG_MAX: u32 = 20;

/// Compressed bytes read from the file at a time.
const INPUT_CHUNK: usize = 32 * 1024;

thread_local! {
    /// One compressor per thread, made on first use.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
}

/// Compresses `data` into `out` (replacing what it held) as one zstd frame.
pub(crate) fn pack(data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    out.clear();
    out.reserve(zstd::compress_bound(data.len()));
    COMPRESSOR.with(|slot| {
        let mut slot = slot.borrow_mut();
        let compressor = match &mut *slot {
            Some(compressor) => compressor,
            empty => empty.insert(zstd::bulk::Compressor::new(LEVEL)?),
        };
        compressor.compress_to_buffer(data, out).map(|_| ())
    })
}

/// Decodes a stored stream of zstd frames. The end of the stored bytes inside a frame ends
/// the decoded stream where the last complete block did (a recording cut short by a crash,
/// or one still being written); bytes that are not zstd are an `InvalidData` error.
pub(crate) struct Unpack<R> {
    inner: R,
    decoder: Decoder<'static>,
    input: Box<[u8]>,
    /// Unread input is `input[start..end]`.
    start: usize,
    end: usize,
    output: Box<[u8]>,
    /// Decoded bytes not yet handed out are `output[out_start..out_end]`.
    out_start: usize,
    out_end: usize,
    /// The last run filled the output: the decoder may hold more without new input.
    full: bool,
    eof: bool,
}

impl<R> Unpack<R> {
    /// Decodes what `inner` yields.
    pub(crate) fn new(inner: R) -> io::Result<Self> {
        let mut decoder = Decoder::new()?;
        decoder.set_parameter(DParameter::WindowLogMax(WINDOW_LOG_MAX))?;
        Ok(Self {
            inner,
            decoder,
            input: vec![0; INPUT_CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            output: vec![0; zstd::zstd_safe::DCtx::out_size()].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            full: false,
            eof: false,
        })
    }

    /// Runs the decoder over the unread input; whether it consumed or produced anything.
    fn decode(&mut self) -> io::Result<bool> {
        let mut input = InBuffer::around(&self.input[self.start..self.end]);
        let mut output = OutBuffer::around(&mut self.output[..]);
        self.decoder
            .run(&mut input, &mut output)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
        let (read, written) = (input.pos(), output.pos());
        self.start += read;
        self.out_start = 0;
        self.out_end = written;
        self.full = written == self.output.len();
        Ok(read > 0 || written > 0)
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Unpack<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.out_start < this.out_end {
                let n = buf.remaining().min(this.out_end - this.out_start);
                buf.put_slice(&this.output[this.out_start..this.out_start + n]);
                this.out_start += n;
                return Poll::Ready(Ok(()));
            }
            if (this.start < this.end || this.full) && this.decode()? {
                continue;
            }
            if this.eof {
                // Whatever a cut-short last frame held past its last complete block is lost.
                return Poll::Ready(Ok(()));
            }
            this.input.copy_within(this.start..this.end, 0);
            this.end -= this.start;
            this.start = 0;
            if this.end == this.input.len() {
                let stuck = "zstd: the decoder took none of a full input buffer";
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, stuck)));
            }
            let mut read = ReadBuf::new(&mut this.input[this.end..]);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let n = read.filled().len();
            if n == 0 {
                this.eof = true;
            }
            this.end += n;
        }
    }
}

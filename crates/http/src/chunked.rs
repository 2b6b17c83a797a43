//! The chunked transfer coding of an upstream response body (RFC 9112 §7.1), decoded as the
//! bytes arrive: chunk data is handed on without a copy, sizes, extensions and trailers are
//! bounded and dropped.

use bytes::{Buf, Bytes, BytesMut};

/// Longest chunk-size line, extensions included.
const MAX_SIZE_LINE: usize = 4096;
/// Most trailer bytes.
const MAX_TRAILERS: usize = 16 * 1024;

/// What the decoder found at the front of the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Chunk data.
    Data(Bytes),
    /// Nothing usable yet: read more.
    NeedMore,
    /// The body is complete (last chunk and trailers read).
    Done,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Hex digits of a chunk size.
    Size { size: u64, digits: usize },
    /// Extensions (or whitespace) after the size, up to CR.
    Extension { size: u64 },
    /// The LF that ends the size line.
    SizeLf { size: u64 },
    /// Bytes of chunk data left.
    Data(u64),
    /// The CR after chunk data.
    DataCr,
    /// The LF after chunk data.
    DataLf,
    /// The start of a trailer line (or the empty line that ends the body).
    TrailerStart,
    /// Inside a trailer line, up to its LF.
    Trailer,
    /// The LF of the empty line that ends the body.
    EndLf,
    /// Complete.
    Done,
}

/// Decodes one chunked body.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: State,
    /// Bytes of the current size line, or of all trailers.
    counted: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            counted: 0,
        }
    }
}

impl ChunkedDecoder {
    /// Takes what it can from the front of `buf`: the next piece of chunk data, or the end.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, String> {
        loop {
            if let State::Data(left) = self.state {
                if buf.is_empty() {
                    return Ok(Decoded::NeedMore);
                }
                let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let left = left - take as u64;
                self.state = if left == 0 {
                    State::DataCr
                } else {
                    State::Data(left)
                };
                return Ok(Decoded::Data(buf.split_to(take).freeze()));
            }
            if let State::Done = self.state {
                return Ok(Decoded::Done);
            }
            let Some(&byte) = buf.first() else {
                return Ok(Decoded::NeedMore);
            };
            buf.advance(1);
            self.state = self.step(byte)?;
        }
    }

    fn step(&mut self, byte: u8) -> Result<State, String> {
        let bad = |what: &str| Err(format!("malformed chunked body: {what}"));
        match self.state {
            State::Size { size, digits } => {
                self.counted += 1;
                if let Some(digit) = (byte as char).to_digit(16) {
                    if digits == 15 {
                        return bad("chunk size too large");
                    }
                    return Ok(State::Size {
                        size: size << 4 | u64::from(digit),
                        digits: digits + 1,
                    });
                }
                if digits == 0 {
                    return bad("no chunk size");
                }
                match byte {
                    b'\r' => Ok(State::SizeLf { size }),
                    b';' | b' ' | b'\t' => Ok(State::Extension { size }),
                    _ => bad("unexpected byte in the chunk size"),
                }
            }
            State::Extension { size } => {
                self.counted += 1;
                if self.counted > MAX_SIZE_LINE {
                    return bad("chunk extensions too long");
                }
                match byte {
                    b'\r' => Ok(State::SizeLf { size }),
                    b'\n' => bad("bare LF in the chunk size line"),
                    _ => Ok(State::Extension { size }),
                }
            }
            State::SizeLf { size } => {
                if byte != b'\n' {
                    return bad("CR without LF after the chunk size");
                }
                self.counted = 0;
                Ok(if size == 0 {
                    State::TrailerStart
                } else {
                    State::Data(size)
                })
            }
            State::DataCr if byte == b'\r' => Ok(State::DataLf),
            State::DataLf if byte == b'\n' => Ok(State::Size { size: 0, digits: 0 }),
            State::DataCr | State::DataLf => bad("chunk data not followed by CRLF"),
            State::TrailerStart | State::Trailer => {
                self.counted += 1;
                if self.counted > MAX_TRAILERS {
                    return bad("trailers too long");
                }
                Ok(match (self.state, byte) {
                    (State::TrailerStart, b'\r') => State::EndLf,
                    (_, b'\n') => State::TrailerStart,
                    _ => State::Trailer,
                })
            }
            State::EndLf if byte == b'\n' => Ok(State::Done),
            State::EndLf => bad("CR without LF at the end of the body"),
            State::Data(_) | State::Done => Ok(self.state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `wire` in pieces of `step` bytes; returns the data and whether the body ended.
    fn decode_in_steps(wire: &[u8], step: usize) -> Result<(Vec<u8>, bool), String> {
        let mut decoder = ChunkedDecoder::default();
        let mut buf = BytesMut::new();
        let mut data = Vec::new();
        for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf)? {
                    Decoded::Data(bytes) => data.extend_from_slice(&bytes),
                    Decoded::NeedMore => break,
                    Decoded::Done => return Ok((data, buf.is_empty())),
                }
            }
        }
        Ok((data, false))
    }

    #[test]
    fn chunks_with_extensions_and_trailers_decode_at_every_split() {
        let wire = b"5;name=\"v\"\r\nhello\r\n1A \r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nx-sum: 1\r\nx-more: 2\r\n\r\n";
        for step in 1..=wire.len() {
            let (data, ended_exactly) = decode_in_steps(wire, step).unwrap();
            assert_eq!(data, b"hello abcdefghijklmnopqrstuvwxy", "step {step}");
            assert!(ended_exactly, "step {step}");
        }
    }

    #[test]
    fn bytes_after_the_body_are_left_in_the_buffer() {
        let mut decoder = ChunkedDecoder::default();
        let mut buf = BytesMut::from(&b"3\r\nabc\r\n0\r\n\r\nHTTP/1.1"[..]);
        assert_eq!(
            decoder.decode(&mut buf).unwrap(),
            Decoded::Data(Bytes::from_static(b"abc"))
        );
        assert_eq!(decoder.decode(&mut buf).unwrap(), Decoded::Done);
        assert_eq!(&buf[..], b"HTTP/1.1");
    }

    #[test]
    fn malformed_and_oversized_framing_is_refused() {
        for wire in [
            &b"\r\n"[..],
            b"zz\r\n",
            b"3\nabc\r\n",
            b"3\r\nabcX\r\n",
            b"1000000000000000\r\n",
            b"3\r\nabc\r\n0\r\n\rX",
        ] {
            assert!(decode_in_steps(wire, 1).is_err(), "{wire:?}");
        }
        let mut long = b"1;".to_vec();
        long.resize(MAX_SIZE_LINE + 10, b'a');
        assert!(decode_in_steps(&long, 64).is_err());
        let mut trailers = b"0\r\n".to_vec();
        trailers.extend(std::iter::repeat_n(b"x-a: b\r\n", MAX_TRAILERS / 8 + 1).flatten());
        assert!(decode_in_steps(&trailers, 64).is_err());
    }

    #[test]
    fn a_large_chunk_is_handed_on_as_it_arrives() {
        let mut decoder = ChunkedDecoder::default();
        let mut buf = BytesMut::from(&b"ff\r\nabc"[..]);
        assert_eq!(
            decoder.decode(&mut buf).unwrap(),
            Decoded::Data(Bytes::from_static(b"abc"))
        );
        assert_eq!(decoder.decode(&mut buf).unwrap(), Decoded::NeedMore);
    }
}

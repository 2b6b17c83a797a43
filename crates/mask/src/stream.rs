//! Masking bytes that arrive in chunks, with the same output as masking them at once.

use std::sync::Arc;

use crate::Masker;
use crate::detect::{MAX_LOOK_BEHIND, MAX_SHORT};
use crate::scan::{Candidate, resolve};
use crate::text::Text;

/// Bytes held back at the end of the input: any short entity starting before them has been
/// seen whole, with the byte after it.
const HOLD: usize = MAX_SHORT + 112;
/// Bytes kept before the output position so detectors see their left context again.
const CONTEXT: usize = 2 * MAX_LOOK_BEHIND;

/// Masks a byte stream chunk by chunk; the concatenated output equals
/// [`Masker::mask_bytes`] of the concatenated input, however the input is split.
///
/// It holds back only what could still be part of a match: the last 512 bytes, or from the
/// start of a JWT (up to 8 KiB) or PEM private key block (up to 16 KiB) that has not ended yet.
/// Bytes that are not UTF-8 pass through unchanged.
#[derive(Debug)]
pub struct StreamMasker {
    masker: Arc<Masker>,
    buf: Vec<u8>,
    /// Bytes of `buf` already output; the ones before it are left context.
    emitted: usize,
    /// Whether `buf[0]` is the first byte of the stream.
    at_origin: bool,
    regions: Vec<Candidate>,
}

impl StreamMasker {
    /// A stream masked with `masker`.
    pub fn new(masker: Arc<Masker>) -> Self {
        StreamMasker {
            masker,
            buf: Vec::new(),
            emitted: 0,
            at_origin: true,
            regions: Vec::new(),
        }
    }

    /// Takes the next chunk and returns the output that is now final (possibly empty).
    pub fn push(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.push_into(input, &mut out);
        out
    }

    /// Like [`StreamMasker::push`], appending to `out` (no allocation once `out` has room).
    pub fn push_into(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if !self.masker.has_detectors() {
            out.extend_from_slice(input);
            return;
        }
        self.buf.extend_from_slice(input);
        if self.buf.len() - self.emitted > HOLD {
            self.process(false, out);
        }
    }

    /// Ends the stream: returns everything still held, masked, and resets for a new stream.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.finish_into(&mut out);
        out
    }

    /// Like [`StreamMasker::finish`], appending to `out`.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) {
        if self.buf.len() > self.emitted {
            self.process(true, out);
        }
        self.buf.clear();
        self.emitted = 0;
        self.at_origin = true;
    }

    /// How many input bytes are held back, not yet output.
    pub fn held(&self) -> usize {
        self.buf.len() - self.emitted
    }

    fn process(&mut self, last: bool, out: &mut Vec<u8>) {
        let text = Text {
            b: &self.buf,
            open_start: !self.at_origin,
            open_end: !last,
        };
        self.regions.clear();
        let undecided = self.masker.scanner().scan(&text, &mut self.regions);
        let emitted = self.emitted;
        let mut limit = if last {
            self.buf.len()
        } else {
            self.buf.len() - HOLD
        };
        if let Some(u) = undecided {
            limit = limit.min(u);
        }
        limit = limit.max(emitted);
        self.regions.retain(|r| r.start >= emitted);
        resolve(&mut self.regions);
        if let Some(r) = self
            .regions
            .iter()
            .find(|r| r.start < limit && r.end > limit)
        {
            limit = r.start;
        }
        let done = self.regions.partition_point(|r| r.start < limit);
        self.masker
            .write_masked(&self.buf, emitted, limit, &self.regions[..done], out);
        self.emitted = limit;
        if self.emitted > CONTEXT {
            let drop = self.emitted - CONTEXT;
            self.buf.drain(..drop);
            self.emitted = CONTEXT;
            self.at_origin = false;
        }
    }
}

impl warden_core::mask::TextStream for StreamMasker {
    fn push_into(&mut self, input: &[u8], out: &mut Vec<u8>) {
        StreamMasker::push_into(self, input, out);
    }

    fn finish_into(&mut self, out: &mut Vec<u8>) {
        StreamMasker::finish_into(self, out);
    }
}

//! PostgreSQL v3 messages, one file each, named as in the protocol documentation. Decoders borrow
//! from the frame; a message Warden does not change is forwarded as the frame it arrived in.

pub mod authentication;
pub mod backend_key_data;
pub mod bind;
pub mod command_complete;
pub mod data_row;
pub mod error_response;
pub mod parameter_description;
pub mod parse;
pub mod query;
pub mod ready_for_query;
pub mod row_description;
pub mod startup;

/// Reads a NUL-terminated string at the start of `bytes`: the string and the rest after the NUL.
pub(crate) fn cstr(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let end = bytes.iter().position(|&b| b == 0)?;
    let text = std::str::from_utf8(bytes.get(..end)?).ok()?;
    Some((text, bytes.get(end + 1..)?))
}

/// Appends a NUL-terminated string.
pub(crate) fn put_cstr(out: &mut bytes::BytesMut, text: &str) {
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&[0]);
}

/// Builds a tagged message: tag, length (including itself), body.
pub(crate) fn tagged(tag: u8, body: &[u8]) -> bytes::Bytes {
    let mut out = bytes::BytesMut::with_capacity(body.len() + 5);
    out.extend_from_slice(&[tag]);
    out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(body);
    out.freeze()
}

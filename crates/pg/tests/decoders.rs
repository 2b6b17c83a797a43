//! Every PostgreSQL decoder on generated input (proptest: random bytes, and valid messages
//! with random contents). Framing must agree with a one-pass model of the protocol however the
//! stream is split, refuse a declared length over the bound before waiting for its body, and
//! never panic; each message decoder must return a value or an error for any body, and read
//! back what the matching encoder wrote.

use bytes::Bytes;
use proptest::prelude::*;
use std::collections::VecDeque;
use warden_pg::PgError;
use warden_pg::frame::FrameReader;
use warden_pg::messages::{
    authentication, backend_key_data, bind, command_complete, data_row, error_response,
    parameter_description, parse, query, row_description, startup,
};
use warden_testkit::Pieces;

/// Frames no longer than this pass (small, so generated lengths cross it).
const MAX: usize = 64;

/// `bytes` cut at the given offsets.
fn split(bytes: &[u8], cuts: &[usize]) -> VecDeque<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut pieces = VecDeque::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        if cut > start {
            pieces.push_back(bytes[start..cut].to_vec());
            start = cut;
        }
    }
    pieces
}

/// How reading tagged messages ends.
#[derive(Debug, PartialEq)]
enum End {
    /// End of stream between messages.
    Clean,
    /// A declared length over [`MAX`].
    TooLarge(usize),
    /// A declared length under 4.
    BadLength(usize),
    /// End of stream inside a message.
    Truncated,
    /// Any other error (never expected).
    Other(String),
}

/// What reading tagged messages from the whole of `bytes` must give: the frames, then how it
/// ends.
fn model(bytes: &[u8]) -> (Vec<Vec<u8>>, End) {
    let mut frames = Vec::new();
    let mut at = 0;
    loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            return (frames, End::Clean);
        }
        if rest.len() < 5 {
            return (frames, End::Truncated);
        }
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if len < 4 {
            return (frames, End::BadLength(len));
        }
        if len > MAX {
            return (frames, End::TooLarge(len));
        }
        if rest.len() < len + 1 {
            return (frames, End::Truncated);
        }
        frames.push(rest[..len + 1].to_vec());
        at += len + 1;
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, TestCaseError> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(fail)
}

/// What the gateway's reader makes of `bytes` arriving in pieces cut at `cuts`. With `drain`,
/// every frame `next` returns is followed by the frames `buffered` hands out without reading,
/// as the relay takes a batch of messages that arrived together.
fn read_all(
    bytes: &[u8],
    cuts: &[usize],
    drain: bool,
) -> Result<(Vec<Vec<u8>>, End), TestCaseError> {
    Ok(runtime()?.block_on(async {
        let mut reader = FrameReader::new(Pieces(split(bytes, cuts)), MAX);
        let mut frames = Vec::new();
        loop {
            match reader.next().await {
                Ok(Some(frame)) => {
                    assert_eq!(frame.body().len() + 5, frame.bytes().len());
                    frames.push(frame.bytes().to_vec());
                }
                Ok(None) => return (frames, End::Clean),
                Err(error) => return (frames, ending(error)),
            }
            if drain {
                loop {
                    match reader.buffered() {
                        Ok(Some(frame)) => frames.push(frame.bytes().to_vec()),
                        Ok(None) => break,
                        Err(error) => return (frames, ending(error)),
                    }
                }
            }
        }
    }))
}

/// How a read that failed with `error` ended.
fn ending(error: PgError) -> End {
    match error {
        PgError::TooLarge { len, max, .. } => {
            assert_eq!(max, MAX);
            End::TooLarge(len)
        }
        PgError::Malformed(message) if message.contains("declares length") => {
            let len = message.rsplit(' ').next().and_then(|n| n.parse().ok());
            End::BadLength(len.unwrap_or(usize::MAX))
        }
        PgError::Malformed(message) if message.contains("closed inside") => End::Truncated,
        other => End::Other(other.to_string()),
    }
}

/// The startup packet the gateway's reader makes of `bytes` arriving in pieces.
fn read_startup(
    bytes: &[u8],
    cuts: &[usize],
) -> Result<Result<Option<Bytes>, PgError>, TestCaseError> {
    Ok(runtime()?.block_on(async {
        FrameReader::new(Pieces(split(bytes, cuts)), MAX)
            .next_startup()
            .await
    }))
}

/// A tagged message with a random body and a declared length that is usually right.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..80),
        prop_oneof![
            8 => Just(None),
            1 => (0u32..4).prop_map(Some),
            1 => any::<u32>().prop_map(Some),
        ],
    )
        .prop_map(|(tag, body, declared)| {
            let len = declared.unwrap_or(body.len() as u32 + 4);
            let mut out = vec![tag];
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&body);
            out
        })
}

fn fail(error: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Messages however the stream splits them: the frames and the ending of the model.
    #[test]
    fn framing_matches_the_protocol_however_the_stream_is_split(
        messages in prop::collection::vec(message(), 0..6),
        chop in prop::option::of(0usize..400),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut bytes = messages.concat();
        if let Some(chop) = chop {
            bytes.truncate(chop);
        }
        prop_assert_eq!(read_all(&bytes, &cuts, false)?, model(&bytes));
        prop_assert_eq!(read_all(&bytes, &cuts, true)?, model(&bytes));
    }

    /// Random bytes, not messages at all.
    #[test]
    fn framing_of_random_bytes_matches_the_model(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        prop_assert_eq!(read_all(&bytes, &cuts, false)?, model(&bytes));
        prop_assert_eq!(read_all(&bytes, &cuts, true)?, model(&bytes));
    }

    /// A startup packet with random parameters reads back as written, in any pieces.
    #[test]
    fn a_startup_message_reads_back_as_written(
        parameters in prop::collection::vec(("[a-z_]{1,12}", "[^\u{0}]{0,20}"), 0..6),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let message = startup::StartupMessage { version: startup::PROTOCOL_3_0, parameters };
        let bytes = message.encode();
        let body = read_startup(&bytes, &cuts)?.map_err(fail)?.ok_or_else(|| fail("no packet"))?;
        prop_assert_eq!(startup::decode(&body).ok(), Some(startup::Startup::StartupMessage(message)));
    }

    /// Any first packet: its body or a refusal (a declared length outside 8..=10000 is
    /// refused), and any body decodes to a value or an error, never a panic.
    #[test]
    fn any_first_packet_decodes_or_is_refused(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let _ = startup::decode(&bytes);
        let read = read_startup(&bytes, &cuts)?;
        if bytes.len() >= 4 {
            let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
            if !(8..=10_000).contains(&len) {
                prop_assert!(matches!(read, Err(PgError::Malformed(_))), "{:?}", read);
            } else if bytes.len() >= len {
                let body = read.map_err(fail)?;
                prop_assert_eq!(body.as_deref(), Some(&bytes[4..len]));
                if let Some(body) = body {
                    let _ = startup::decode(&body);
                }
            } else {
                prop_assert!(matches!(read, Err(PgError::Malformed(_))), "{:?}", read);
            }
        }
    }

    /// Every message decoder takes any body without panicking.
    #[test]
    fn every_decoder_takes_any_body(body in prop::collection::vec(any::<u8>(), 0..120)) {
        let _ = authentication::decode(&body);
        let _ = authentication::password(&body);
        let _ = backend_key_data::decode(&body);
        let _ = bind::names(&body);
        let _ = bind::result_formats(&body);
        let _ = command_complete::rows(&body);
        let _ = error_response::message(&body);
        let _ = parameter_description::decode(&body);
        let _ = parse::decode(&body);
        let _ = parse::param_types(&body);
        let _ = query::decode(&body);
        let _ = row_description::decode(&body);
        // Checking a row and collecting its values agree on whether it is whole.
        prop_assert_eq!(data_row::check(&body).is_ok(), data_row::values(&body).is_ok());
    }

    /// DataRow, Query, BackendKeyData and ErrorResponse read back what their encoders wrote;
    /// a DataRow cut short is refused.
    #[test]
    fn encoded_messages_read_back(
        values in prop::collection::vec(
            prop::option::of(prop::collection::vec(any::<u8>(), 0..20)), 0..8),
        sql in "[^\u{0}]{0,40}",
        pid in any::<u32>(),
        key in prop::collection::vec(any::<u8>(), 0..32),
        code in "[0-9A-Z]{5}",
        text in "[^\u{0}]{0,40}",
        cut in any::<usize>(),
    ) {
        let row = data_row::encode(values.iter().map(|v| v.as_deref()));
        let body = &row[5..];
        let read: Vec<Option<Vec<u8>>> = data_row::values(body)
            .map_err(fail)?
            .into_iter()
            .map(|v| v.map(<[u8]>::to_vec))
            .collect();
        prop_assert_eq!(&read, &values);
        if body.len() > 2 {
            let short = &body[..2 + cut % (body.len() - 2)];
            prop_assert!(data_row::check(short).is_err(), "{:?} cut to {:?}", body, short);
        }

        let q = query::encode(&sql);
        prop_assert_eq!(query::decode(&q[5..]).ok(), Some(sql.as_str()));

        let k = backend_key_data::encode(pid, &key);
        let (read_pid, read_key) = backend_key_data::decode(&k[5..]).map_err(fail)?;
        prop_assert_eq!(read_pid, pid);
        prop_assert_eq!(read_key, Bytes::from(key));

        let e = error_response::error(&code, &text);
        prop_assert_eq!(e[0], b'E');
        prop_assert_eq!(error_response::message(&e[5..]), Some(text.clone()));
    }
}

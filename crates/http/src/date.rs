//! The `Date` header Warden adds to a response that has none (RFC 9110 §6.6.1: its own
//! answers, and upstream responses that came without one), formatted once per second per
//! thread.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
const LEN: usize = 29;

thread_local! {
    /// The second last formatted on this thread and its text.
    static CACHED: RefCell<(u64, [u8; LEN])> = const { RefCell::new((u64::MAX, [0; LEN])) };
}

/// Appends `date: <now>\r\n`.
pub fn write_header(out: &mut Vec<u8>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    out.extend_from_slice(b"date: ");
    CACHED.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.0 != now {
            *cached = (now, imf_fixdate(now));
        }
        out.extend_from_slice(&cached.1);
    });
    out.extend_from_slice(b"\r\n");
}

/// `secs` after the Unix epoch as an IMF-fixdate.
fn imf_fixdate(secs: u64) -> [u8; LEN] {
    let mut text = [b' '; LEN];
    let time = i64::try_from(secs)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_default();
    let formatted = time.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if formatted.len() == LEN {
        text.copy_from_slice(formatted.as_bytes());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_an_imf_fixdate() {
        assert_eq!(&imf_fixdate(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&imf_fixdate(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        let mut out = Vec::new();
        write_header(&mut out);
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.starts_with("date: ") && line.ends_with(" GMT\r\n"),
            "{line}"
        );
        assert_eq!(line.len(), "date: ".len() + LEN + 2);
    }
}

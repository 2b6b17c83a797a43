//! A socket that may have been upgraded to TLS, on either leg (shared with the HTTP gateway).

pub use warden_tls::{MaybeTls, ReadHalf, WriteHalf};

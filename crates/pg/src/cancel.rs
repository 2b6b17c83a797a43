//! CancelRequest mapping: the key Warden handed a client → the real backend's key.

use crate::PgError;
use crate::messages::startup;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[derive(Clone)]
struct Target {
    fake_key: [u8; 4],
    address: String,
    process_id: u32,
    secret_key: Bytes,
}

/// Live sessions' cancel keys, shared by every connection of a listener.
#[derive(Default, Clone)]
pub struct CancelRegistry {
    sessions: Arc<Mutex<HashMap<u32, Target>>>,
}

/// Removes a session's key when the session ends.
pub struct Registration {
    registry: CancelRegistry,
    process_id: u32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut sessions) = self.registry.sessions.lock() {
            sessions.remove(&self.process_id);
        }
    }
}

impl CancelRegistry {
    /// Registers a real backend key and returns the (process id, key) to give the client.
    pub fn register(
        &self,
        address: &str,
        process_id: u32,
        secret_key: Bytes,
    ) -> Result<(u32, [u8; 4], Registration), PgError> {
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| PgError::Upstream("cancel registry poisoned".into()))?;
        loop {
            let mut random = [0u8; 8];
            getrandom::fill(&mut random).map_err(|e| PgError::Upstream(e.to_string()))?;
            let fake_pid =
                u32::from_be_bytes([random[0], random[1], random[2], random[3]]) & 0x7fff_ffff;
            let fake_key = [random[4], random[5], random[6], random[7]];
            if fake_pid == 0 || sessions.contains_key(&fake_pid) {
                continue;
            }
            sessions.insert(
                fake_pid,
                Target {
                    fake_key,
                    address: address.to_owned(),
                    process_id,
                    secret_key: secret_key.clone(),
                },
            );
            return Ok((
                fake_pid,
                fake_key,
                Registration {
                    registry: self.clone(),
                    process_id: fake_pid,
                },
            ));
        }
    }

    /// Forwards a client's CancelRequest to the real backend; unknown keys are ignored, as
    /// PostgreSQL itself does.
    pub async fn cancel(&self, process_id: u32, key: &[u8]) -> Result<bool, PgError> {
        let target = {
            let sessions = self
                .sessions
                .lock()
                .map_err(|_| PgError::Upstream("cancel registry poisoned".into()))?;
            sessions
                .get(&process_id)
                .filter(|t| t.fake_key.as_slice() == key)
                .cloned()
        };
        let Some(target) = target else {
            return Ok(false);
        };
        let send = async {
            let mut tcp = TcpStream::connect(&target.address).await?;
            tcp.write_all(&startup::cancel_request(
                target.process_id,
                &target.secret_key,
            ))
            .await?;
            tcp.shutdown().await?;
            Ok::<_, std::io::Error>(())
        };
        tokio::time::timeout(Duration::from_secs(10), send)
            .await
            .map_err(|_| PgError::Timeout("sending a cancel request upstream"))??;
        Ok(true)
    }
}

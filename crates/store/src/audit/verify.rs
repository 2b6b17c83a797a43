//! `warden audit verify`: walks every node's chain and checks its signed checkpoints.

use super::chain::{self, GENESIS_HASH};
use super::checkpoint::{self, SignatureProblem};
use crate::{Store, StoreError};
use ed25519_dalek::VerifyingKey;
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// Events read per query while walking a chain.
const PAGE: u32 = 1000;

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// One entry per node, by node name.
    pub nodes: Vec<NodeReport>,
}

/// One node's intact chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeReport {
    /// Node name.
    pub node: String,
    /// Events checked.
    pub events: u64,
    /// Sequence number of the last event (0 if none).
    pub last_seq: u64,
    /// Hash of the last event (64 zeros if none).
    pub last_hash: String,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
}

/// How a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The event is absent although a later one exists (deleted).
    Missing {
        /// The next event that is present.
        next_present: u64,
    },
    /// The event's `prev_hash` is not the previous event's hash (reordered, or the previous
    /// event rewritten together with its hash).
    OutOfOrder,
    /// The event's hash does not match its contents (edited).
    Edited,
    /// The chain ends before a signed checkpoint that covers this event (truncated).
    Truncated {
        /// The checkpoint's sequence number.
        checkpoint: u64,
    },
    /// The checkpoint at this event names a different hash (the chain was rewritten).
    CheckpointMismatch,
    /// The checkpoint's signature does not verify (forged or altered).
    BadSignature,
    /// The checkpoint was signed by a key that is not trusted.
    UntrustedKey {
        /// The hex public key recorded in the checkpoint.
        public_key: String,
    },
}

/// Why verification failed.
#[derive(Debug, Error)]
pub enum VerifyFailure {
    /// A chain is broken; `seq` is the first bad event (or checkpoint) of `node`.
    #[error("{}", describe(node, *seq, problem))]
    Broken {
        /// Node whose chain is broken.
        node: String,
        /// First bad sequence number.
        seq: u64,
        /// What is wrong.
        problem: Problem,
    },
    /// The store could not be read (a row it cannot decode names its event).
    #[error("cannot verify the audit log: {0}")]
    Store(#[from] StoreError),
}

impl VerifyFailure {
    /// Node and first bad sequence number, when a chain is broken.
    pub fn location(&self) -> Option<(&str, u64)> {
        match self {
            VerifyFailure::Broken { node, seq, .. } => Some((node, *seq)),
            VerifyFailure::Store(_) => None,
        }
    }
}

fn describe(node: &str, seq: u64, problem: &Problem) -> String {
    match problem {
        Problem::Missing { next_present } if seq == 1 => format!(
            "event 1 of node {node} is missing: the chain starts at event {next_present} (events deleted)"
        ),
        Problem::Missing { next_present } => format!(
            "event {seq} of node {node} is missing: the chain jumps from event {} to {next_present} (events deleted)",
            seq - 1
        ),
        Problem::OutOfOrder => format!(
            "event {seq} of node {node} is out of order: its prev_hash does not match the hash of event {} (events reordered, or event {} rewritten)",
            seq.saturating_sub(1),
            seq.saturating_sub(1)
        ),
        Problem::Edited => {
            format!("event {seq} of node {node} was edited: hash does not match its contents")
        }
        Problem::Truncated { checkpoint } => format!(
            "event {seq} of node {node} is missing: a signed checkpoint covers events up to {checkpoint} but the chain ends at {} (truncated)",
            seq - 1
        ),
        Problem::CheckpointMismatch => format!(
            "event {seq} of node {node} does not match its signed checkpoint: the chain was rewritten after the checkpoint was signed"
        ),
        Problem::BadSignature => format!(
            "the checkpoint at event {seq} of node {node} has an invalid signature (forged or altered)"
        ),
        Problem::UntrustedKey { public_key } => format!(
            "the checkpoint at event {seq} of node {node} was signed by key {public_key}, which is not a trusted audit key"
        ),
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Missing { .. } => "deleted",
            Problem::OutOfOrder => "reordered",
            Problem::Edited => "edited",
            Problem::Truncated { .. } => "truncated",
            Problem::CheckpointMismatch => "rewritten",
            Problem::BadSignature => "forged checkpoint",
            Problem::UntrustedKey { .. } => "untrusted checkpoint key",
        })
    }
}

/// Checks every node's chain: sequence numbers start at 1 with no gap, each `prev_hash` is the
/// previous hash, each hash recomputes, and each checkpoint is validly signed (by `trusted_key`
/// when given, else by the key it records) and matches the stored event. Stops at the first
/// problem, naming node and sequence number.
pub async fn verify(
    store: &dyn Store,
    trusted_key: Option<&VerifyingKey>,
) -> Result<VerifyReport, VerifyFailure> {
    let trusted: Vec<VerifyingKey> = trusted_key.into_iter().copied().collect();
    verify_with_keys(store, &trusted).await
}

/// [`verify`] for a cluster whose nodes sign with different keys: every checkpoint must be
/// signed by one of `trusted` (by the key it records when `trusted` is empty).
pub async fn verify_with_keys(
    store: &dyn Store,
    trusted: &[VerifyingKey],
) -> Result<VerifyReport, VerifyFailure> {
    let mut nodes = Vec::new();
    for node in store.audit_nodes().await? {
        nodes.push(verify_node(store, &node, trusted).await?);
    }
    Ok(VerifyReport { nodes })
}

async fn verify_node(
    store: &dyn Store,
    node: &str,
    trusted: &[VerifyingKey],
) -> Result<NodeReport, VerifyFailure> {
    let broken = |seq: u64, problem: Problem| VerifyFailure::Broken {
        node: node.to_owned(),
        seq,
        problem,
    };
    let checkpoints = store.checkpoints(node).await?;
    // Hashes of the events that checkpoints cover, filled in during the walk.
    let mut covered: BTreeMap<u64, Option<String>> =
        checkpoints.iter().map(|c| (c.seq, None)).collect();

    let mut last_seq = 0u64;
    let mut last_hash = GENESIS_HASH.to_owned();
    loop {
        let page = store.audit_events(node, last_seq, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for event in page {
            let expected = last_seq + 1;
            if event.seq != expected {
                return Err(broken(
                    expected,
                    Problem::Missing {
                        next_present: event.seq,
                    },
                ));
            }
            if event.prev_hash != last_hash {
                return Err(broken(event.seq, Problem::OutOfOrder));
            }
            if chain::event_hash(&event)? != event.hash {
                return Err(broken(event.seq, Problem::Edited));
            }
            if let Some(slot) = covered.get_mut(&event.seq) {
                *slot = Some(event.hash.clone());
            }
            last_seq = event.seq;
            last_hash = event.hash;
        }
    }

    for signed in &checkpoints {
        match checkpoint::check_signature(signed, trusted) {
            Ok(()) => {}
            Err(SignatureProblem::Invalid) => {
                return Err(broken(signed.seq, Problem::BadSignature));
            }
            Err(SignatureProblem::UntrustedKey) => {
                return Err(broken(
                    signed.seq,
                    Problem::UntrustedKey {
                        public_key: signed.public_key.clone(),
                    },
                ));
            }
        }
        if signed.seq > last_seq {
            return Err(broken(
                last_seq + 1,
                Problem::Truncated {
                    checkpoint: signed.seq,
                },
            ));
        }
        let stored = covered.get(&signed.seq).and_then(Option::as_deref);
        if stored != Some(signed.hash.as_str()) {
            return Err(broken(signed.seq, Problem::CheckpointMismatch));
        }
    }

    Ok(NodeReport {
        node: node.to_owned(),
        events: last_seq,
        last_seq,
        last_hash,
        checkpoints: checkpoints.len() as u64,
    })
}

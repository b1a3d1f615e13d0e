//! Protocol messages and their framing.
//!
//! A frame is `u32 length (BE) | u8 protocol version | postcard-encoded message`. Frames
//! are bounded by [`MAX_FRAME`]; a peer that announces a larger one, sends an unknown
//! version or bytes that do not decode breaks the protocol and is disconnected.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u8 = 1;
/// Largest frame accepted (a compressed batch plus envelope).
pub const MAX_FRAME: usize = 16 << 20;

/// A version vector: origin name → highest seq integrated contiguously.
pub type Vector = std::collections::BTreeMap<String, u64>;

/// Where a snapshot stream stopped, so that it can resume after a reconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// Last record key received.
    #[serde(with = "serde_bytes")]
    pub after: Vec<u8>,
}

/// Everything the peers say to each other.
///
/// Byte fields are postcard bytes (`serde_bytes`): on the wire the same as a sequence of
/// `u8` (a varint length, then the bytes), but copied at once instead of one element at a
/// time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// First message of each side: who it says it is (the certificate decides), what it
    /// has, and a snapshot it wants resumed.
    Hello {
        /// The sender's origin name (informative; identity comes from the certificate).
        origin: String,
        /// The sender's version vector.
        vector: Vector,
        /// A snapshot from this peer that was interrupted.
        resume: Option<Resume>,
        /// Whether the sender accepts records of origins other than the peer's own.
        wants_relayed: bool,
        /// The sender's partners: origins it may get straight from their source.
        direct: Vec<String>,
    },
    /// An origin's published sharing restrictions (an automerge document).
    Policy {
        /// Whose restrictions.
        origin: String,
        /// The saved document.
        #[serde(with = "serde_bytes")]
        doc: Vec<u8>,
    },
    /// Entries (a compressed [`crate::batch`]).
    Entries {
        /// The batch.
        #[serde(with = "serde_bytes")]
        batch: Vec<u8>,
    },
    /// Every entry of `origin` up to `seq` the sender may send has been sent.
    Complete {
        /// The origin.
        origin: String,
        /// Its seq.
        seq: u64,
    },
    /// A snapshot stream begins; when it ends, the receiver holds every record as of
    /// this vector.
    SnapshotBegin {
        /// The sender's vector when the stream (or its resumed part) began.
        vector: Vector,
    },
    /// Snapshot records in key order, strictly after everything sent before.
    SnapshotEntries {
        /// The batch.
        #[serde(with = "serde_bytes")]
        batch: Vec<u8>,
    },
    /// The snapshot stream is complete.
    SnapshotEnd,
    /// The sender now holds every update of `origin` up to `seq` it may see (learned
    /// from someone else): skip sending it those.
    Have {
        /// The origin.
        origin: String,
        /// Its seq.
        seq: u64,
    },
    /// The sender closes the session.
    Goodbye {
        /// Why.
        reason: String,
    },
}

impl Message {
    /// A short name for logs and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Hello { .. } => "hello",
            Message::Policy { .. } => "policy",
            Message::Entries { .. } => "entries",
            Message::Complete { .. } => "complete",
            Message::SnapshotBegin { .. } => "snapshot_begin",
            Message::SnapshotEntries { .. } => "snapshot_entries",
            Message::SnapshotEnd => "snapshot_end",
            Message::Have { .. } => "have",
            Message::Goodbye { .. } => "goodbye",
        }
    }

    /// The framed bytes.
    pub fn to_frame(&self) -> Vec<u8> {
        let body = postcard::to_stdvec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(5 + body.len());
        out.extend_from_slice(&((body.len() + 1) as u32).to_be_bytes());
        out.push(PROTOCOL_VERSION);
        out.extend_from_slice(&body);
        out
    }
}

/// Reassembles frames from a byte stream.
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: Vec<u8>,
}

impl FrameReader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered but not yet a whole frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, if one is buffered.
    pub fn next_message(&mut self) -> Result<Option<Message>, ProtocolError> {
        let Some(len) = self
            .buf
            .first_chunk::<4>()
            .map(|b| u32::from_be_bytes(*b) as usize)
        else {
            return Ok(None);
        };
        if len == 0 || len > MAX_FRAME {
            return Err(ProtocolError::FrameSize(len));
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let version = self.buf[4];
        if version != PROTOCOL_VERSION {
            return Err(ProtocolError::Version(version));
        }
        let message =
            postcard::from_bytes(&self.buf[5..4 + len]).map_err(|_| ProtocolError::Undecodable);
        self.buf.drain(..4 + len);
        message.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_pieces() {
        let msgs = vec![
            Message::Hello {
                origin: "cert-a".into(),
                vector: Vector::from([("cert-a".into(), 7)]),
                resume: None,
                wants_relayed: true,
                direct: vec!["cert-b".into()],
            },
            Message::Complete {
                origin: "cert-b".into(),
                seq: 99,
            },
            Message::SnapshotEnd,
        ];
        let bytes: Vec<u8> = msgs.iter().flat_map(Message::to_frame).collect();
        let mut reader = FrameReader::new();
        let mut got = Vec::new();
        for chunk in bytes.chunks(3) {
            reader.push(chunk);
            while let Some(m) = reader.next_message().unwrap() {
                got.push(m);
            }
        }
        assert_eq!(got, msgs);
        assert_eq!(reader.buffered(), 0);
    }

    /// Byte fields kept their encoding when they became `serde_bytes` (protocol version
    /// 1 is unchanged): the same bytes as a plain `Vec<u8>`, both ways.
    #[test]
    fn byte_fields_encode_as_a_sequence_of_u8() {
        #[derive(Serialize, Deserialize)]
        enum Plain {
            _Hello,
            _Policy,
            _Entries,
            _Complete,
            _SnapshotBegin,
            SnapshotEntries { batch: Vec<u8> },
        }
        let batch: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        let ours = postcard::to_stdvec(&Message::SnapshotEntries {
            batch: batch.clone(),
        })
        .unwrap();
        let plain = postcard::to_stdvec(&Plain::SnapshotEntries {
            batch: batch.clone(),
        })
        .unwrap();
        assert_eq!(ours, plain);
        assert_eq!(
            postcard::from_bytes::<Message>(&plain).unwrap(),
            Message::SnapshotEntries { batch }
        );
        let resume = Resume {
            after: vec![1, 2, 3],
        };
        assert_eq!(
            postcard::to_stdvec(&resume).unwrap(),
            postcard::to_stdvec(&(vec![1u8, 2, 3],)).unwrap()
        );
    }

    #[test]
    fn oversized_unknown_and_garbage_frames_are_errors() {
        let mut r = FrameReader::new();
        r.push(&((MAX_FRAME + 1) as u32).to_be_bytes());
        assert!(matches!(r.next_message(), Err(ProtocolError::FrameSize(_))));
        let mut r = FrameReader::new();
        r.push(&[0, 0, 0, 2, 9, 0]);
        assert!(matches!(r.next_message(), Err(ProtocolError::Version(9))));
        let mut r = FrameReader::new();
        r.push(&[0, 0, 0, 3, PROTOCOL_VERSION, 0xFF, 0xFF]);
        assert!(matches!(r.next_message(), Err(ProtocolError::Undecodable)));
    }
}

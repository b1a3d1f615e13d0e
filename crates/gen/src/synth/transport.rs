//! How the workload's exchanges travel: plain UDP, UDP with every response fragmented, or
//! DNS over TCP. The exchanges themselves (who asks what, when, and the answer) do not
//! depend on it, so captures of the three transports carry the same DNS messages and the
//! cost of reassembling them can be measured against the plain UDP one.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Bytes of UDP datagram (header included) carried by each IP fragment of a response in
/// [`Transport::Fragmented`]: a multiple of 8, as every fragment but the last must carry.
///
/// Why 48: the smallest responses of the workload (an A answer to a short name, no EDNS)
/// are UDP datagrams of 51 bytes, so anything from 56 up would let some through whole;
/// 48 bytes plus a 20-byte IPv4 header is 68, the minimum MTU every IPv4 link must carry
/// (RFC 791) and the size forced in fragmentation attacks on resolvers. The median response
/// (~100 bytes of datagram) becomes 3 fragments, the largest (~290) 6. IPv6 fragments carry
/// the same 48 bytes (96-byte packets with the Fragment header), far below IPv6's 1280-byte
/// minimum MTU: real IPv6 paths fragment only large responses, but the point here is to put
/// every response through reassembly, in both families.
pub const FRAGMENT_PAYLOAD: usize = 48;

/// The transport of the workload's exchanges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Transport {
    /// One UDP datagram per query and per response (the default; the benchmark capture).
    #[default]
    Udp,
    /// Queries in one UDP datagram; every response's datagram sent as IP fragments of
    /// [`FRAGMENT_PAYLOAD`] bytes, in order and back to back (IPv4 fragments or IPv6
    /// Fragment headers, per the exchange's family).
    Fragmented,
    /// Every exchange on a connection of its own, as a stub retrying over TCP after a
    /// truncated answer: handshake, length-prefixed query, length-prefixed response
    /// (sometimes split over two segments), ACK, FIN from both sides.
    Tcp,
}

impl Transport {
    /// All transports, UDP (the baseline) first.
    pub const ALL: [Transport; 3] = [Transport::Udp, Transport::Fragmented, Transport::Tcp];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Fragmented => "fragmented",
            Transport::Tcp => "tcp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Transport {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Transport::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                Error::Invalid(format!("unknown transport {s:?} (udp, fragmented or tcp)"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Transport::ALL {
            assert_eq!(t.name().parse::<Transport>().ok(), Some(t));
        }
        assert!("quic".parse::<Transport>().is_err());
        assert_eq!(FRAGMENT_PAYLOAD % 8, 0);
    }
}

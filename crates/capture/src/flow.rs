//! The keyed flow hash and the DNS port set.

use std::hash::BuildHasher;
use std::hash::RandomState;
use std::net::SocketAddr;
use std::sync::OnceLock;

use crate::Transport;

/// One SipHash key for the whole process, drawn at random on first use: flow values are
/// comparable across decoders of the same process and meaningless outside it.
fn key() -> &'static RandomState {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new)
}

/// The flow identifier of an exchange between `client` and `server` over `transport`.
#[inline]
pub(crate) fn flow_hash(client: SocketAddr, server: SocketAddr, transport: Transport) -> u64 {
    key().hash_one((client, server, transport))
}

/// A set of ports as a 65,536-bit bitmap: one load and a mask per lookup.
#[derive(Clone)]
pub(crate) struct PortSet {
    bits: Box<[u64; 1024]>,
}

impl PortSet {
    pub(crate) fn new(ports: &[u16]) -> Self {
        let mut bits = Box::new([0u64; 1024]);
        for &p in ports {
            if let Some(word) = bits.get_mut(usize::from(p >> 6)) {
                *word |= 1u64 << (p & 63);
            }
        }
        PortSet { bits }
    }

    #[inline]
    pub(crate) fn contains(&self, port: u16) -> bool {
        self.bits
            .get(usize::from(port >> 6))
            .is_some_and(|w| w & (1u64 << (port & 63)) != 0)
    }
}

impl std::fmt::Debug for PortSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ports: Vec<u16> = (0..=u16::MAX).filter(|p| self.contains(*p)).collect();
        f.debug_tuple("PortSet").field(&ports).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_set() {
        let s = PortSet::new(&[53, 5353, 0, 65535]);
        for p in [53, 5353, 0, 65535] {
            assert!(s.contains(p));
        }
        for p in [52, 54, 1, 65534, 443] {
            assert!(!s.contains(p));
        }
    }

    #[test]
    fn flow_is_stable_and_keyed_on_both_ends() {
        let c: SocketAddr = "192.0.2.1:40000".parse().unwrap();
        let c2: SocketAddr = "192.0.2.2:40000".parse().unwrap();
        let s: SocketAddr = "198.51.100.53:53".parse().unwrap();
        assert_eq!(
            flow_hash(c, s, Transport::Udp),
            flow_hash(c, s, Transport::Udp)
        );
        assert_ne!(
            flow_hash(c, s, Transport::Udp),
            flow_hash(c, s, Transport::Tcp)
        );
        assert_ne!(
            flow_hash(c, s, Transport::Udp),
            flow_hash(c2, s, Transport::Udp)
        );
    }
}

//! Link-layer headers.

use crate::error::{Error, Result};
use crate::pcap::LinkType;

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
/// EtherType (TPID) of an IEEE 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;

/// The link layer a frame is wrapped in. The frame goes from `src` to `dst`; use
/// [`Link::reversed`] for the answer direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II, with 802.1Q tags (outermost first) between the MACs and the EtherType.
    Ethernet {
        /// Source MAC.
        src: [u8; 6],
        /// Destination MAC.
        dst: [u8; 6],
        /// VLAN ids (12 bits each), outermost first; priority bits are zero.
        vlans: Vec<u16>,
    },
    /// Linux cooked capture (SLL, 16-byte header), as `tcpdump -i any` writes.
    LinuxSll {
        /// The sender's MAC.
        src: [u8; 6],
        /// Packet type "outgoing" (4) rather than "to us" (0).
        outgoing: bool,
    },
    /// No link header: the frame is the IP packet (`LINKTYPE_RAW`).
    Raw,
}

/// The MAC of the client side in [`Link::ethernet`] (locally administered).
pub const CLIENT_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x01];
/// The MAC of the server side (the router towards it) in [`Link::ethernet`].
pub const SERVER_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x02];

impl Link {
    /// Untagged Ethernet from [`CLIENT_MAC`] to [`SERVER_MAC`].
    pub fn ethernet() -> Self {
        Self::Ethernet {
            src: CLIENT_MAC,
            dst: SERVER_MAC,
            vlans: Vec::new(),
        }
    }

    /// Adds an inner-most 802.1Q tag (Ethernet only; other links are returned unchanged).
    pub fn with_vlan(mut self, id: u16) -> Self {
        if let Self::Ethernet { vlans, .. } = &mut self {
            vlans.push(id & 0x0fff);
        }
        self
    }

    /// The same link in the other direction (MACs swapped, SLL direction flipped).
    pub fn reversed(&self) -> Self {
        match self {
            Self::Ethernet { src, dst, vlans } => Self::Ethernet {
                src: *dst,
                dst: *src,
                vlans: vlans.clone(),
            },
            Self::LinuxSll { src, outgoing } => Self::LinuxSll {
                src: *src,
                outgoing: !outgoing,
            },
            Self::Raw => Self::Raw,
        }
    }

    /// The pcap link type of frames made with this link.
    pub fn linktype(&self) -> LinkType {
        match self {
            Self::Ethernet { .. } => LinkType::ETHERNET,
            Self::LinuxSll { .. } => LinkType::LINUX_SLL,
            Self::Raw => LinkType::RAW,
        }
    }

    /// Length of the link header.
    pub fn header_len(&self) -> usize {
        match self {
            Self::Ethernet { vlans, .. } => 14 + 4 * vlans.len(),
            Self::LinuxSll { .. } => 16,
            Self::Raw => 0,
        }
    }

    /// Appends the link header announcing `ethertype` to `out`.
    pub fn push_header(&self, out: &mut Vec<u8>, ethertype: u16) {
        match self {
            Self::Ethernet { src, dst, vlans } => {
                out.extend_from_slice(dst);
                out.extend_from_slice(src);
                for id in vlans {
                    out.extend_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
                    out.extend_from_slice(&(id & 0x0fff).to_be_bytes());
                }
                out.extend_from_slice(&ethertype.to_be_bytes());
            }
            Self::LinuxSll { src, outgoing } => {
                let packet_type: u16 = if *outgoing { 4 } else { 0 };
                out.extend_from_slice(&packet_type.to_be_bytes());
                out.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
                out.extend_from_slice(&6u16.to_be_bytes());
                out.extend_from_slice(src);
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&ethertype.to_be_bytes());
            }
            Self::Raw => {}
        }
    }

    /// Wraps an IP packet (the EtherType follows from its version nibble).
    pub fn wrap(&self, ip_packet: &[u8]) -> Result<Vec<u8>> {
        let ethertype = match ip_packet.first().map(|b| b >> 4) {
            Some(4) => ETHERTYPE_IPV4,
            Some(6) => ETHERTYPE_IPV6,
            _ => return Err(Error::Invalid("not an IPv4 or IPv6 packet".into())),
        };
        let mut out = Vec::with_capacity(self.header_len() + ip_packet.len());
        self.push_header(&mut out, ethertype);
        out.extend_from_slice(ip_packet);
        Ok(out)
    }
}

impl Default for Link {
    fn default() -> Self {
        Self::ethernet()
    }
}

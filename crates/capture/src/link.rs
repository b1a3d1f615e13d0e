//! Link layers: from a captured frame to the IP packet inside it.

use crate::bytes::{be16, be32, u8_at};

/// libpcap link-layer type numbers (`LINKTYPE_*` in files, `DLT_*` as returned by
/// `pcap_datalink`) understood by the [`Decoder`](crate::Decoder).
pub mod linktype {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: i32 = 0;
    /// Ethernet II / 802.3 (with 802.1Q/802.1ad VLAN tags, MPLS, PPPoE, LLC/SNAP).
    pub const ETHERNET: i32 = 1;
    /// `DLT_RAW` as defined on most platforms (Linux, FreeBSD, macOS).
    pub const DLT_RAW: i32 = 12;
    /// `DLT_RAW` as defined on OpenBSD.
    pub const DLT_RAW_OPENBSD: i32 = 14;
    /// `LINKTYPE_RAW`: raw IPv4 or IPv6, no link header.
    pub const RAW: i32 = 101;
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: i32 = 108;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: i32 = 113;
    /// Raw IPv4 only.
    pub const IPV4: i32 = 228;
    /// Raw IPv6 only.
    pub const IPV6: i32 = 229;
    /// Linux netfilter NFLOG.
    pub const NFLOG: i32 = 239;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: i32 = 276;

    /// Whether the decoder understands this link type.
    pub fn is_supported(linktype: i32) -> bool {
        matches!(
            linktype,
            NULL | ETHERNET
                | DLT_RAW
                | DLT_RAW_OPENBSD
                | RAW
                | LOOP
                | LINUX_SLL
                | IPV4
                | IPV6
                | NFLOG
                | LINUX_SLL2
        )
    }
}

/// The IP version announced by the link layer (or to be read from the first nibble).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpKind {
    V4,
    V6,
    /// No link-level hint: look at the version nibble.
    Sniff,
}

/// The network-layer packet found in a frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Network<'a> {
    pub kind: IpKind,
    pub data: &'a [u8],
}

/// Why a frame yields no IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkError {
    Unsupported,
    NotIp,
    Malformed,
    /// The header needs more bytes than were captured.
    Short,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_QINQ_OLD2: u16 = 0x9200;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MC: u16 = 0x8848;
const ETHERTYPE_PPPOE: u16 = 0x8864;

/// Maximum VLAN tags, MPLS labels or other link-level encapsulations followed in one frame.
const MAX_LINK_LAYERS: usize = 8;

/// Finds the IP packet in `frame` of link type `linktype`.
pub(crate) fn network(linktype: i32, frame: &[u8]) -> Result<Network<'_>, LinkError> {
    use linktype::*;
    match linktype {
        ETHERNET => ethernet(frame),
        RAW | DLT_RAW | DLT_RAW_OPENBSD => Ok(Network {
            kind: IpKind::Sniff,
            data: frame,
        }),
        IPV4 => Ok(Network {
            kind: IpKind::V4,
            data: frame,
        }),
        IPV6 => Ok(Network {
            kind: IpKind::V6,
            data: frame,
        }),
        LINUX_SLL => {
            let proto = be16(frame, 14).ok_or(LinkError::Short)?;
            ethertype(proto, rest(frame, 16)?, 0)
        }
        LINUX_SLL2 => {
            let proto = be16(frame, 0).ok_or(LinkError::Short)?;
            ethertype(proto, rest(frame, 20)?, 0)
        }
        NULL => {
            let b = frame.get(..4).ok_or(LinkError::Short)?;
            // Host byte order of the capturing machine: the family is small, so whichever
            // reading is below 256 is the right one.
            let le = u32::from_le_bytes(b.try_into().map_err(|_| LinkError::Short)?);
            let be = u32::from_be_bytes(b.try_into().map_err(|_| LinkError::Short)?);
            let af = if le < 256 { le } else { be };
            address_family(af, rest(frame, 4)?)
        }
        LOOP => {
            let af = be32(frame, 0).ok_or(LinkError::Short)?;
            address_family(af, rest(frame, 4)?)
        }
        NFLOG => nflog(frame),
        _ => Err(LinkError::Unsupported),
    }
}

#[inline]
fn rest(frame: &[u8], at: usize) -> Result<&[u8], LinkError> {
    frame.get(at..).ok_or(LinkError::Short)
}

fn address_family(af: u32, data: &[u8]) -> Result<Network<'_>, LinkError> {
    let kind = match af {
        2 => IpKind::V4,
        // AF_INET6: Linux 10, Windows 23, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30.
        10 | 23 | 24 | 28 | 30 => IpKind::V6,
        _ => return Err(LinkError::NotIp),
    };
    Ok(Network { kind, data })
}

#[inline]
fn ethernet(frame: &[u8]) -> Result<Network<'_>, LinkError> {
    let proto = be16(frame, 12).ok_or(LinkError::Short)?;
    ethertype(proto, rest(frame, 14)?, 0)
}

/// Dispatches on an ethertype, following VLAN tags, MPLS, PPPoE and LLC/SNAP.
fn ethertype(mut proto: u16, mut data: &[u8], mut layers: usize) -> Result<Network<'_>, LinkError> {
    loop {
        match proto {
            ETHERTYPE_IPV4 => {
                return Ok(Network {
                    kind: IpKind::V4,
                    data,
                });
            }
            ETHERTYPE_IPV6 => {
                return Ok(Network {
                    kind: IpKind::V6,
                    data,
                });
            }
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD | ETHERTYPE_QINQ_OLD2 => {
                proto = be16(data, 2).ok_or(LinkError::Short)?;
                data = rest(data, 4)?;
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC => return mpls(data),
            ETHERTYPE_PPPOE => {
                // version/type, code, session id, length, then the PPP protocol.
                if u8_at(data, 0).ok_or(LinkError::Short)? != 0x11 {
                    return Err(LinkError::Malformed);
                }
                let ppp = be16(data, 6).ok_or(LinkError::Short)?;
                let kind = match ppp {
                    0x0021 => IpKind::V4,
                    0x0057 => IpKind::V6,
                    _ => return Err(LinkError::NotIp),
                };
                return Ok(Network {
                    kind,
                    data: rest(data, 8)?,
                });
            }
            len if len < 0x0600 => {
                // 802.3 length field: only LLC/SNAP with an ethertype can carry IP.
                let llc = data.get(..6).ok_or(LinkError::Short)?;
                if llc != [0xaa, 0xaa, 0x03, 0, 0, 0] {
                    return Err(LinkError::NotIp);
                }
                proto = be16(data, 6).ok_or(LinkError::Short)?;
                data = rest(data, 8)?;
            }
            _ => return Err(LinkError::NotIp),
        }
        layers += 1;
        if layers > MAX_LINK_LAYERS {
            return Err(LinkError::Malformed);
        }
    }
}

/// MPLS label stack: pops labels up to the bottom of stack and guesses IP from the nibble.
fn mpls(mut data: &[u8]) -> Result<Network<'_>, LinkError> {
    for _ in 0..MAX_LINK_LAYERS {
        let label = be32(data, 0).ok_or(LinkError::Short)?;
        data = rest(data, 4)?;
        if label & 0x100 != 0 {
            return match u8_at(data, 0).ok_or(LinkError::Short)? >> 4 {
                4 => Ok(Network {
                    kind: IpKind::V4,
                    data,
                }),
                6 => Ok(Network {
                    kind: IpKind::V6,
                    data,
                }),
                _ => Err(LinkError::NotIp),
            };
        }
    }
    Err(LinkError::Malformed)
}

const NFULA_PAYLOAD: u16 = 9;

/// NFLOG: a 4-byte header (family, version, resource id) then TLVs whose length and type
/// are in host byte order (libpcap converts files written on the other endianness) and
/// whose values are padded to 4 bytes. The packet is the value of `NFULA_PAYLOAD`.
fn nflog(frame: &[u8]) -> Result<Network<'_>, LinkError> {
    let family = u8_at(frame, 0).ok_or(LinkError::Short)?;
    if u8_at(frame, 1).ok_or(LinkError::Short)? != 0 {
        return Err(LinkError::Malformed);
    }
    let mut at = 4usize;
    while at < frame.len() {
        let len = usize::from(crate::bytes::ne16(frame, at).ok_or(LinkError::Short)?);
        let ty = crate::bytes::ne16(frame, at + 2).ok_or(LinkError::Short)? & 0x3fff;
        if len < 4 {
            return Err(LinkError::Malformed);
        }
        let end = at.checked_add(len).ok_or(LinkError::Malformed)?;
        if ty == NFULA_PAYLOAD {
            let value = frame.get(at + 4..end).ok_or(LinkError::Short)?;
            let kind = match family {
                2 => IpKind::V4,
                10 => IpKind::V6,
                _ => IpKind::Sniff,
            };
            return Ok(Network { kind, data: value });
        }
        at = end.checked_add(3).ok_or(LinkError::Malformed)? & !3;
    }
    Err(LinkError::NotIp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `network` on an owned frame, returning owned results.
    fn net(linktype: i32, frame: Vec<u8>) -> Result<(IpKind, Vec<u8>), LinkError> {
        network(linktype, &frame).map(|n| (n.kind, n.data.to_vec()))
    }

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn ethernet_plain_and_tags() {
        let ip = [0x45u8, 0, 0, 20];
        let n = net(linktype::ETHERNET, eth(0x0800, &ip)).unwrap();
        assert_eq!(n, (IpKind::V4, ip.to_vec()));

        let mut tagged = vec![0x00, 0x0b, 0x81, 0x00, 0x00, 0x0c, 0x86, 0xdd];
        tagged.extend_from_slice(&ip);
        let n = net(linktype::ETHERNET, eth(0x88a8, &tagged)).unwrap();
        assert_eq!(n, (IpKind::V6, ip.to_vec()));

        // Too many tags.
        let mut deep = Vec::new();
        for _ in 0..20 {
            deep.extend_from_slice(&[0, 1, 0x81, 0x00]);
        }
        assert_eq!(
            net(linktype::ETHERNET, eth(0x8100, &deep)).unwrap_err(),
            LinkError::Malformed
        );
        assert_eq!(
            net(linktype::ETHERNET, eth(0x0806, &ip)).unwrap_err(),
            LinkError::NotIp
        );
        assert_eq!(
            network(linktype::ETHERNET, &[0u8; 13]).unwrap_err(),
            LinkError::Short
        );
        assert_eq!(
            net(linktype::ETHERNET, eth(0x8100, &[0, 1])).unwrap_err(),
            LinkError::Short
        );
    }

    #[test]
    fn ethernet_mpls_pppoe_snap() {
        let ip = [0x60u8, 0, 0, 0];
        let mut m = vec![0, 0, 0x10, 0xff, 0, 0, 0x21, 0xff];
        m.extend_from_slice(&ip);
        let n = net(linktype::ETHERNET, eth(0x8847, &m)).unwrap();
        assert_eq!(n, (IpKind::V6, ip.to_vec()));

        let mut p = vec![0x11, 0, 0, 1, 0, 6, 0x00, 0x21];
        p.extend_from_slice(&ip);
        let n = net(linktype::ETHERNET, eth(0x8864, &p)).unwrap();
        assert_eq!(n.0, IpKind::V4);

        let mut s = vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
        s.extend_from_slice(&ip);
        let n = net(linktype::ETHERNET, eth(40, &s)).unwrap();
        assert_eq!(n, (IpKind::V4, ip.to_vec()));
    }

    #[test]
    fn null_and_loop() {
        let ip = [0x60u8, 1, 2, 3];
        for af in [2u32, 24, 28, 30] {
            for hdr in [af.to_le_bytes(), af.to_be_bytes()] {
                let mut f = hdr.to_vec();
                f.extend_from_slice(&ip);
                let n = network(linktype::NULL, &f).unwrap();
                assert_eq!(n.kind, if af == 2 { IpKind::V4 } else { IpKind::V6 });
                assert_eq!(n.data, &ip[..]);
            }
            let mut f = af.to_be_bytes().to_vec();
            f.extend_from_slice(&ip);
            assert!(network(linktype::LOOP, &f).is_ok());
        }
        assert_eq!(
            network(linktype::NULL, &7u32.to_le_bytes()).unwrap_err(),
            LinkError::NotIp
        );
    }

    #[test]
    fn nflog_tlvs() {
        let ip = [0x45u8, 0, 0, 20, 9];
        let mut f = vec![2u8, 0, 0, 0];
        // A 5-byte attribute (padded to 8), then the payload.
        f.extend_from_slice(&5u16.to_ne_bytes());
        f.extend_from_slice(&1u16.to_ne_bytes());
        f.extend_from_slice(&[1, 0, 0, 0]);
        f.extend_from_slice(&(4 + ip.len() as u16).to_ne_bytes());
        f.extend_from_slice(&9u16.to_ne_bytes());
        f.extend_from_slice(&ip);
        let n = net(linktype::NFLOG, f).unwrap();
        assert_eq!(n, (IpKind::V4, ip.to_vec()));
        // Zero-length TLV must not loop forever.
        let bad = [2u8, 0, 0, 0, 0, 0, 9, 0];
        assert_eq!(
            network(linktype::NFLOG, &bad).unwrap_err(),
            LinkError::Malformed
        );
        assert_eq!(
            network(linktype::NFLOG, &[2u8, 0, 0, 0]).unwrap_err(),
            LinkError::NotIp
        );
    }

    #[test]
    fn unsupported() {
        assert_eq!(network(147, &[0; 64]).unwrap_err(), LinkError::Unsupported);
        assert!(!linktype::is_supported(147));
        assert!(linktype::is_supported(linktype::LINUX_SLL2));
    }
}

//! The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header.

use std::net::IpAddr;

/// Adds `data` as big-endian 16-bit words (odd length padded with a zero byte) to `acc`.
pub(crate) fn add(data: &[u8], mut acc: u64) -> u64 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

/// Folds the carries and complements: the value to put in a checksum field.
pub(crate) fn finish(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    // Folded to 16 bits above.
    !(acc as u16)
}

/// The sum of the pseudo-header used by TCP and UDP checksums (RFC 768, RFC 8200 §8.1).
pub(crate) fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u64 {
    let mut acc = 0;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = add(&s.octets(), acc);
            acc = add(&d.octets(), acc);
        }
        (s, d) => {
            acc = add(&to_v6(s), acc);
            acc = add(&to_v6(d), acc);
        }
    }
    acc + u64::from(proto) + len as u64
}

fn to_v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// The Internet checksum of `data` (the value that makes the ones' complement sum zero).
pub fn internet_checksum(data: &[u8]) -> u16 {
    finish(add(data, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the sum of these words is 0xddf2, the checksum its complement.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&data), !0xddf2);
    }

    #[test]
    fn odd_length_is_padded() {
        assert_eq!(internet_checksum(&[0x12]), internet_checksum(&[0x12, 0x00]));
    }
}

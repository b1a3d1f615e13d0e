//! The low-level text encodings of BIND's rdata printer: hex, base64 and base32hex
//! digits, IPv6 addresses as glibc's `inet_ntop` writes them, DNSSEC timestamps, and
//! character strings with their escapes.

use std::net::Ipv4Addr;

use super::put;

/// Digits per chunk when BIND splits a long base64 or hex field in single-line output.
const CHUNK: usize = 56;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE32HEX: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

/// Upper-case hex digits, unsplit.
pub(super) fn hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        put!(out, "{b:02X}");
    }
}

/// Upper-case hex digits in chunks of 56, as BIND prints digests and RFC 3597 data.
pub(super) fn hex_chunked(out: &mut String, bytes: &[u8]) {
    let mut digits = String::with_capacity(bytes.len() * 2);
    hex(&mut digits, bytes);
    push_chunked(out, &digits);
}

/// Standard base64 with padding, unsplit.
pub(super) fn base64(out: &mut String, bytes: &[u8]) {
    for group in bytes.chunks(3) {
        let byte = |i: usize| u32::from(group.get(i).copied().unwrap_or(0));
        let bits = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= group.len() {
                let sextet = (bits >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(BASE64[sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// Base64 in chunks of 56 characters, as BIND prints keys, signatures and certificates.
pub(super) fn base64_chunked(out: &mut String, bytes: &[u8]) {
    let mut digits = String::with_capacity(bytes.len().div_ceil(3) * 4);
    base64(&mut digits, bytes);
    push_chunked(out, &digits);
}

/// Base32 with the extended hex alphabet (RFC 4648 §7), upper case, no padding: the
/// NSEC3 next hashed owner name.
pub(super) fn base32hex(out: &mut String, bytes: &[u8]) {
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32HEX[((acc >> bits) & 0x1f) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32HEX[((acc << (5 - bits)) & 0x1f) as usize]));
    }
}

fn push_chunked(out: &mut String, digits: &str) {
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && i % CHUNK == 0 {
            out.push(' ');
        }
        out.push(c);
    }
}

/// An IPv6 address exactly as glibc's `inet_ntop` (which BIND calls) writes it: RFC 5952
/// zero compression of the first longest run of two or more zero groups, and the
/// dotted-quad tail for IPv4-compatible (`::a.b.c.d`) and IPv4-mapped
/// (`::ffff:a.b.c.d`) addresses. Rust's own `Ipv6Addr` display differs for the former.
pub(super) fn ipv6(out: &mut String, addr: [u8; 16]) {
    let bits = u128::from_be_bytes(addr);
    let words: [u16; 8] = std::array::from_fn(|i| (bits >> (112 - 16 * i)) as u16);
    let run = longest_zero_run(&words);
    let embeds_v4 = match run {
        Some((0, 6)) => true,
        Some((0, 5)) => words.get(5) == Some(&0xffff),
        _ => false,
    };
    for (i, word) in words.iter().enumerate() {
        if let Some((start, len)) = run
            && (start..start + len).contains(&i)
        {
            if i == start {
                out.push(':');
            }
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 && embeds_v4 {
            let [.., a, b, c, d] = addr;
            put!(out, "{}", Ipv4Addr::new(a, b, c, d));
            return;
        }
        put!(out, "{word:x}");
    }
    if matches!(run, Some((start, len)) if start + len == 8) {
        out.push(':');
    }
}

/// Start and length of the first longest run of at least two zero words.
fn longest_zero_run(words: &[u16; 8]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < words.len() {
        let len = words.iter().skip(i).take_while(|&&w| w == 0).count();
        if len >= 2 && best.is_none_or(|(_, best_len)| len > best_len) {
            best = Some((i, len));
        }
        i += len.max(1);
    }
    best
}

/// A DNSSEC timestamp (RFC 4034 §3.2) as `YYYYMMDDHHmmSS` in UTC, the 32-bit value read
/// as unsigned seconds since 1970.
pub(super) fn timestamp(out: &mut String, secs: u32) {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    put!(
        out,
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u32) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u32::from(month <= 2);
    (year, month, day)
}

/// A character string in double quotes, as BIND prints TXT strings and other text
/// fields: `"` and `\` get a backslash, bytes outside printable ASCII (`0x20..=0x7e`)
/// become `\DDD`; space and the other specials stay as they are.
pub(super) fn quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => put!(out, "\\{b:03}"),
        }
    }
    out.push('"');
}

/// One protocol id of an SVCB `alpn` list (inside the list's double quotes). The
/// comma-list escaping of RFC 9460 Appendix A.1 is written twice over, as BIND does: a
/// comma becomes `\\,` and a backslash `\\\\`; `"` gets one backslash; bytes outside
/// `0x21..=0x7e` (space included) become `\DDD`.
pub(super) fn alpn_id(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b',' => out.push_str("\\\\,"),
            b'\\' => out.push_str("\\\\\\\\"),
            b'"' => out.push_str("\\\""),
            0x21..=0x7e => out.push(char::from(b)),
            _ => put!(out, "\\{b:03}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        f(&mut out);
        out
    }

    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(with(|o| base64(o, plain.as_bytes())), encoded);
        }
        let long = with(|o| base64_chunked(o, &[0u8; 60]));
        assert_eq!(long, format!("{} {}", "A".repeat(56), "A".repeat(24)));
    }

    #[test]
    fn base32hex_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "CO"),
            ("fo", "CPNG"),
            ("foo", "CPNMU"),
            ("foob", "CPNMUOG"),
            ("fooba", "CPNMUOJ1"),
            ("foobar", "CPNMUOJ1E8"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(with(|o| base32hex(o, plain.as_bytes())), encoded);
        }
    }

    #[test]
    fn ipv6_like_glibc() {
        let text = |s: &str| {
            with(|o| {
                ipv6(
                    o,
                    s.parse::<std::net::Ipv6Addr>()
                        .map(|a| a.octets())
                        .unwrap_or_default(),
                )
            })
        };
        assert_eq!(text("::"), "::");
        assert_eq!(text("::1"), "::1");
        assert_eq!(text("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(text("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(text("::ffff:0:102:304"), "::ffff:0:102:304");
        assert_eq!(text("1::"), "1::");
        assert_eq!(text("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0");
        assert_eq!(text("1:0:0:1:0:0:0:1"), "1:0:0:1::1");
        assert_eq!(text("1:0:0:1:1:0:0:1"), "1::1:1:0:0:1");
        assert_eq!(text("2001:db8::ff00:42:8329"), "2001:db8::ff00:42:8329");
    }

    #[test]
    fn timestamps() {
        assert_eq!(with(|o| timestamp(o, 0)), "19700101000000");
        assert_eq!(with(|o| timestamp(o, 1_672_531_200)), "20230101000000");
        assert_eq!(with(|o| timestamp(o, 951_825_600)), "20000229120000");
        assert_eq!(with(|o| timestamp(o, u32::MAX)), "21060207062815");
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            with(|o| quoted(o, b"a \"b\\ \x00\xff;@")),
            "\"a \\\"b\\\\ \\000\\255;@\""
        );
        assert_eq!(
            with(|o| alpn_id(o, b"a,b\\c d\"")),
            "a\\\\,b\\\\\\\\c\\032d\\\""
        );
    }
}

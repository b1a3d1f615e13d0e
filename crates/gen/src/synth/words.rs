//! Made-up but pronounceable names, and address pools.

use std::net::{Ipv4Addr, Ipv6Addr};

use rand::Rng;

/// 64 consonant-vowel syllables: names made of them decode uniquely.
const SYLLABLES: [&str; 64] = [
    "ba", "be", "bi", "bo", "da", "de", "di", "do", "fa", "fe", "fi", "fo", "ga", "ge", "go", "gu",
    "ka", "ke", "ki", "ko", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "ni", "no",
    "pa", "pe", "pi", "po", "ra", "re", "ri", "ro", "sa", "se", "si", "so", "ta", "te", "ti", "to",
    "va", "ve", "vi", "vo", "za", "ze", "zi", "zo", "lu", "mu", "nu", "ru", "su", "tu", "ku", "xa",
];

/// Top-level (or public-suffix) zones with rough popularity weights.
const SUFFIXES: [(&str, u32); 16] = [
    ("com", 46),
    ("net", 9),
    ("org", 7),
    ("de", 6),
    ("co.uk", 4),
    ("io", 3),
    ("info", 3),
    ("nl", 3),
    ("fr", 3),
    ("ru", 3),
    ("co.jp", 2),
    ("com.br", 2),
    ("eu", 2),
    ("it", 2),
    ("pl", 2),
    ("app", 3),
];

/// A unique word for `n` (at least two syllables; distinct `n` give distinct words).
pub(crate) fn word(n: u64) -> String {
    let mut n = n + 64;
    let mut out = String::with_capacity(8);
    while n > 0 {
        // n % 64 < 64.
        out.push_str(SYLLABLES[(n % 64) as usize]);
        n /= 64;
    }
    out
}

/// A weighted random public suffix.
pub(crate) fn suffix<R: Rng + ?Sized>(rng: &mut R) -> &'static str {
    let total: u32 = SUFFIXES.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (s, w) in SUFFIXES {
        if x < w {
            return s;
        }
        x -= w;
    }
    "com"
}

/// A random lowercase alphanumeric label of `len` characters (tokens, DGA names).
pub(crate) fn token<R: Rng + ?Sized>(rng: &mut R, len: usize, digits: bool) -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let n = if digits { ALNUM.len() } else { 26 };
    (0..len)
        .map(|_| char::from(ALNUM[rng.random_range(0..n)]))
        .collect()
}

/// A random globally routable-looking unicast IPv4 address (no private, loopback,
/// link-local, CGNAT, documentation, benchmarking or multicast space).
pub(crate) fn public_v4<R: Rng + ?Sized>(rng: &mut R) -> Ipv4Addr {
    loop {
        let a = Ipv4Addr::from(rng.random::<u32>());
        let o = a.octets();
        let reserved = o[0] == 0
            || o[0] == 10
            || o[0] == 127
            || o[0] >= 224
            || (o[0] == 100 && (64..128).contains(&o[1]))
            || (o[0] == 169 && o[1] == 254)
            || (o[0] == 172 && (16..32).contains(&o[1]))
            || (o[0] == 192 && o[1] == 168)
            || (o[0] == 192 && o[1] == 0)
            || (o[0] == 198 && (18..20).contains(&o[1]))
            || (o[0] == 198 && o[1] == 51 && o[2] == 100)
            || (o[0] == 203 && o[1] == 0 && o[2] == 113);
        if !reserved {
            return a;
        }
    }
}

/// A random address in the documentation prefix 2001:db8::/32, in a /48 `site`.
pub(crate) fn doc_v6<R: Rng + ?Sized>(rng: &mut R, site: u16) -> Ipv6Addr {
    let host: u16 = rng.random_range(1..=0xffff);
    Ipv6Addr::new(0x2001, 0x0db8, site, rng.random_range(0..16), 0, 0, 0, host)
}

/// The in-addr.arpa name of an IPv4 address.
pub(crate) fn reverse_v4(a: Ipv4Addr) -> String {
    let o = a.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

/// The ip6.arpa name of an IPv6 address.
pub(crate) fn reverse_v6(a: Ipv6Addr) -> String {
    let mut s = String::with_capacity(72);
    for byte in a.octets().iter().rev() {
        for nibble in [byte & 0x0f, byte >> 4] {
            s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            s.push('.');
        }
    }
    s.push_str("ip6.arpa");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn words_are_unique() {
        let words: HashSet<String> = (0..100_000).map(word).collect();
        assert_eq!(words.len(), 100_000);
        assert!(words.iter().all(|w| w.len() >= 4));
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_v4(Ipv4Addr::new(192, 0, 2, 1)),
            "1.2.0.192.in-addr.arpa"
        );
        let r = reverse_v6("2001:db8::1".parse().unwrap());
        assert!(r.starts_with("1.0.0.0.0.0.0.0."));
        assert!(r.ends_with("8.b.d.0.1.0.0.2.ip6.arpa"));
    }
}

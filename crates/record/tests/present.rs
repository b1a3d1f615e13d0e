//! `rdata::present` against BIND: every vector in `data/present_vectors.txt` (made with
//! `named-rrchecker`, see `data/gen_present_vectors.py`) must come out exactly, and no
//! input whatsoever may make it panic.

use hearsay_record::RrType;
use hearsay_record::rdata::{present, rfc3597};
use proptest::prelude::*;

const VECTORS: &str = include_str!("data/present_vectors.txt");

/// One line of the vector file.
#[derive(Debug, Clone)]
struct Vector {
    line: usize,
    rrtype: RrType,
    rdata: Vec<u8>,
    expected: String,
}

fn decode_hex(text: &str) -> Vec<u8> {
    if text == "-" {
        return Vec::new();
    }
    assert!(text.len().is_multiple_of(2), "odd hex {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn vectors() -> Vec<Vector> {
    VECTORS
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(
                (3..=4).contains(&fields.len()),
                "line {}: {line:?}",
                index + 1
            );
            Vector {
                line: index + 1,
                rrtype: RrType(fields[0].parse().expect("type number")),
                rdata: decode_hex(fields[1]),
                expected: fields[2].to_owned(),
            }
        })
        .collect()
}

#[test]
fn matches_bind_vectors() {
    let vectors = vectors();
    assert!(vectors.len() > 250, "only {} vectors", vectors.len());
    let failures: Vec<String> = vectors
        .iter()
        .filter_map(|v| {
            let got = present(v.rrtype, &v.rdata);
            (got != v.expected).then(|| {
                format!(
                    "line {} ({}):\n  want {}\n  got  {}",
                    v.line, v.rrtype, v.expected, got
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn every_implemented_type_has_a_vector() {
    let covered: std::collections::BTreeSet<u16> = vectors()
        .iter()
        .filter(|v| !v.expected.starts_with("\\#"))
        .map(|v| v.rrtype.code())
        .collect();
    let wanted = [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25, 26, 27,
        28, 29, 30, 33, 35, 36, 37, 39, 40, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 56,
        57, 58, 59, 60, 61, 62, 63, 64, 65, 99, 104, 105, 106, 107, 108, 109, 256, 257, 258, 259,
        260, 261, 262, 32768, 32769,
    ];
    let missing: Vec<u16> = wanted
        .into_iter()
        .filter(|code| !covered.contains(code))
        .collect();
    assert!(missing.is_empty(), "no text vector for types {missing:?}");
}

#[test]
fn generic_form_matches_dig() {
    assert_eq!(rfc3597(&[]), "\\# 0");
    assert_eq!(rfc3597(&[0x0a, 0xff]), "\\# 2 0AFF");
    assert_eq!(present(RrType::NULL, &[]), "\\# 0");
    assert_eq!(present(RrType(65280), &[0xde, 0xad]), "\\# 2 DEAD");
}

/// Every type code the module knows, and the codes around them.
fn type_code() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..=300, 32760u16..=32775, 65270u16..=65535]
}

/// A BIND vector with a few bytes flipped, cut or added: close enough to valid rdata to
/// reach the deep branches of each type's parser.
fn mutated_vector() -> impl Strategy<Value = (RrType, Vec<u8>)> {
    let all = vectors();
    (
        0..all.len(),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0usize..4,
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(which, at, byte, how, cut)| {
            let vector = &all[which];
            let mut rdata = vector.rdata.clone();
            let at = if rdata.is_empty() {
                0
            } else {
                at.index(rdata.len())
            };
            match how {
                0 if !rdata.is_empty() => rdata[at] = byte,
                1 => rdata.truncate(cut.index(rdata.len() + 1)),
                2 => rdata.push(byte),
                _ => rdata.insert(at, byte),
            }
            (vector.rrtype, rdata)
        })
}

fn check_shape(rrtype: RrType, rdata: &[u8]) -> Result<(), TestCaseError> {
    let text = present(rrtype, rdata);
    prop_assert!(text.is_ascii(), "{rrtype} {text:?}");
    prop_assert!(!text.contains(['\t', '\n', '\r']), "{rrtype} {text:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn never_panics_on_arbitrary_bytes(code in type_code(), rdata in prop::collection::vec(any::<u8>(), 0..300)) {
        check_shape(RrType(code), &rdata)?;
    }

    #[test]
    fn never_panics_on_near_valid_rdata((rrtype, rdata) in mutated_vector()) {
        check_shape(rrtype, &rdata)?;
    }
}

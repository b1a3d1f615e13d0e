//! Inputs found by `cargo fuzz` (see `fuzz/README.md`), kept as regression tests.

use hearsay_parse::{Outcome, Parser, Reject};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn ignore(_: &[u8], _: u64) {}

/// fuzz target `parse`: a response whose question name has a bad label type (0x84)
/// after five good labels. `Parser::question` returned the five labels read so far, an
/// unterminated name that `Name::from_wire` rejects.
#[test]
fn question_of_a_message_whose_qname_fails_is_none() {
    let msg = hex("68fd 8000 0001 0001 0000 0000 0131 0130
                   0130 0331 3237 0769 6e2d 6164 6472 8461
                   7270 6100 000c 0001 c00c 000c 0025 7300
                   2710 006b 096c 6f63 616c 686f 7374 00");
    let mut parser = Parser::new();
    let outcome = parser.parse(&msg, 0, &mut ignore);
    assert_eq!(outcome, Outcome::Rejected(Reject::BadLabelType));
    assert_eq!(parser.question(), None);
}

/// Same bug, other face: after a good response, a response rejected before its question
/// was read (two questions) still reported the earlier message's question.
#[test]
fn question_is_not_carried_over_from_the_previous_message() {
    let good = hex("0001 8183 0001 0000 0000 0000 0765 7861 6d70 6c65 0000 0100 01");
    let mut parser = Parser::new();
    let outcome = parser.parse(&good, 0, &mut ignore);
    assert_eq!(
        outcome,
        Outcome::Response {
            rcode: 3,
            records: 0
        }
    );
    assert_eq!(parser.question(), Some((&b"\x07example\x00"[..], 1)));
    let mut two_questions = good.clone();
    two_questions[5] = 2;
    let outcome = parser.parse(&two_questions, 0, &mut ignore);
    assert_eq!(outcome, Outcome::Rejected(Reject::QuestionCount));
    assert_eq!(parser.question(), None);
}

//! Patching encoded messages in place, so repeated messages need not be rebuilt.

/// Sets the 16-bit message ID. Does nothing on a buffer shorter than the header.
pub fn set_id(msg: &mut [u8], id: u16) {
    if let Some(h) = msg.get_mut(0..2) {
        h.copy_from_slice(&id.to_be_bytes());
    }
}

/// The offset just past the first question (its name, type and class), if the message
/// has a question whose name is written without compression (as every encoder does).
pub fn question_end(msg: &[u8]) -> Option<usize> {
    if msg.len() < 12 || u16::from_be_bytes([msg[4], msg[5]]) == 0 {
        return None;
    }
    let mut i = 12;
    loop {
        let len = usize::from(*msg.get(i)?);
        if len == 0 {
            i += 1;
            break;
        }
        if len > 63 {
            return None;
        }
        i += 1 + len;
    }
    let end = i + 4;
    (end <= msg.len()).then_some(end)
}

/// Flips the case of the letters of the first question's name according to `bits` (bit k
/// of `bits`, cycling every 64 letters, flips the k-th letter). Compression pointers into
/// the question make answer owner names follow, as they do in real 0x20 responses. Returns
/// `false` (and changes nothing) if the message has no question.
pub fn mix_qname_case(msg: &mut [u8], bits: u64) -> bool {
    let Some(end) = question_end(msg) else {
        return false;
    };
    let mut k = 0u32;
    let mut i = 12;
    while i < end - 5 {
        let len = usize::from(msg[i]);
        for b in &mut msg[i + 1..i + 1 + len] {
            if b.is_ascii_alphabetic() {
                if bits >> (k % 64) & 1 == 1 {
                    *b ^= 0x20;
                }
                k += 1;
            }
        }
        i += 1 + len;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03www\x07example\x03com\x00");
        m.extend_from_slice(&[0, 1, 0, 1]);
        m
    }

    #[test]
    fn question_end_finds_the_type_and_class() {
        let m = msg();
        assert_eq!(question_end(&m), Some(m.len()));
        assert_eq!(question_end(&m[..m.len() - 1]), None);
    }

    #[test]
    fn mixing_case_flips_letters_only() {
        let mut m = msg();
        assert!(mix_qname_case(&mut m, u64::MAX));
        assert_eq!(&m[12..29], b"\x03WWW\x07EXAMPLE\x03COM\x00");
        assert!(mix_qname_case(&mut m, 0b101));
        assert_eq!(&m[12..29], b"\x03wWw\x07EXAMPLE\x03COM\x00");
    }

    #[test]
    fn set_id_patches_the_header() {
        let mut m = msg();
        set_id(&mut m, 0xbeef);
        assert_eq!(&m[..2], &[0xbe, 0xef]);
        let mut short = [0u8; 1];
        set_id(&mut short, 1);
    }
}

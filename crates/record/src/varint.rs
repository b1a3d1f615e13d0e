//! LEB128 unsigned varints, the compact integer encoding of stored values and messages.

use crate::Error;

/// Appends `v` as an unsigned LEB128 varint.
pub fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint from the front of `*input`, advancing it.
pub fn get(input: &mut &[u8]) -> Result<u64, Error> {
    let mut value: u64 = 0;
    for (i, &b) in input.iter().enumerate().take(10) {
        let part = u64::from(b & 0x7f);
        if i == 9 && b > 1 {
            return Err(Error::BadVarint);
        }
        value |= part << (7 * i);
        if b & 0x80 == 0 {
            *input = &input[i + 1..];
            return Ok(value);
        }
    }
    Err(Error::BadVarint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(v: u64) {
            let mut buf = Vec::new();
            put(&mut buf, v);
            buf.push(0xAA);
            let mut input = &buf[..];
            prop_assert_eq!(get(&mut input).unwrap(), v);
            prop_assert_eq!(input, &[0xAA][..]);
        }
    }

    #[test]
    fn rejects_overlong_and_truncated() {
        assert!(get(&mut &[0x80u8, 0x80][..]).is_err());
        assert!(get(&mut &[0xffu8; 10][..]).is_err());
        assert!(get(&mut &[][..]).is_err());
    }
}

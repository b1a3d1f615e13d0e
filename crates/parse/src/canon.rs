//! Canonical rdata: names inside the rdata decompressed and lowercased (RFC 4034 §6.2),
//! everything else copied as is.

use hearsay_record::RrType;
use hearsay_record::rdata::layout::{Field, layout};

use crate::Reject;
use crate::wire::{NameBuf, RrHead, read_name};

/// Appends the canonical form of the record's rdata to `out`.
pub(crate) fn canonical_rdata(
    msg: &[u8],
    rr: &RrHead,
    scratch: &mut NameBuf,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    let end = rr.rdata_start + rr.rdata_len;
    let rdata = msg
        .get(rr.rdata_start..end)
        .ok_or(Reject::RecordTruncated)?;
    let rrtype = RrType(rr.rrtype);
    check_fixed_length(rrtype, rdata.len())?;
    let Some(fields) = layout(rrtype) else {
        out.extend_from_slice(rdata);
        return Ok(());
    };
    let mut pos = rr.rdata_start;
    for field in fields {
        match *field {
            Field::Bytes(n) => {
                let bytes = msg
                    .get(pos..pos + n)
                    .filter(|_| pos + n <= end)
                    .ok_or(Reject::BadRdata)?;
                out.extend_from_slice(bytes);
                pos += n;
            }
            Field::CharString => {
                let len = usize::from(*msg.get(pos).filter(|_| pos < end).ok_or(Reject::BadRdata)?);
                let bytes = msg
                    .get(pos..pos + 1 + len)
                    .filter(|_| pos + 1 + len <= end)
                    .ok_or(Reject::BadRdata)?;
                out.extend_from_slice(bytes);
                pos += 1 + len;
            }
            Field::Name => {
                // A name may use compression pointers into the rest of the message, but its
                // own bytes must stay inside the rdata.
                let next = read_name(msg, pos, scratch).map_err(|_| Reject::BadRdata)?;
                if next > end {
                    return Err(Reject::BadRdata);
                }
                out.extend_from_slice(scratch.wire());
                pos = next;
            }
            Field::Rest => {
                out.extend_from_slice(msg.get(pos..end).ok_or(Reject::BadRdata)?);
                pos = end;
            }
        }
    }
    if pos != end {
        return Err(Reject::BadRdata);
    }
    Ok(())
}

/// Types whose rdata has one valid length.
fn check_fixed_length(rrtype: RrType, len: usize) -> Result<(), Reject> {
    let expected = match rrtype {
        RrType::A => 4,
        RrType::AAAA => 16,
        _ => return Ok(()),
    };
    if len == expected {
        Ok(())
    } else {
        Err(Reject::BadRdata)
    }
}

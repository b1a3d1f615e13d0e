//! Farsight's Streaming API Framing: JSON lines, the first `{"cond":"begin"}`, then one
//! `{"obj":…}` per result, then exactly one terminator: `succeeded`, `limited` (more
//! results than the limit allowed) or `failed`, with a `msg`. A stream that ends
//! without a terminator tells the client that it was truncated.

use serde::Serialize;

/// The first line.
pub(crate) const BEGIN: &[u8] = b"{\"cond\":\"begin\"}\n";

/// How a stream ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    Succeeded,
    Limited(String),
    Failed(String),
}

/// Appends one `{"obj":…}` line.
pub(crate) fn push_obj<T: Serialize>(out: &mut Vec<u8>, obj: &T) {
    let start = out.len();
    out.extend_from_slice(b"{\"obj\":");
    if serde_json::to_writer(&mut *out, obj).is_err() {
        // Our objects always serialise; never leave half a line behind.
        out.truncate(start);
        return;
    }
    out.extend_from_slice(b"}\n");
}

/// Appends the terminator line.
pub(crate) fn push_end(out: &mut Vec<u8>, end: &End) {
    let value = match end {
        End::Succeeded => serde_json::json!({"cond": "succeeded"}),
        End::Limited(msg) => serde_json::json!({"cond": "limited", "msg": msg}),
        End::Failed(msg) => serde_json::json!({"cond": "failed", "msg": msg}),
    };
    out.extend_from_slice(value.to_string().as_bytes());
    out.push(b'\n');
}

/// The terminator line alone.
pub(crate) fn end_line(end: &End) -> Vec<u8> {
    let mut out = Vec::new();
    push_end(&mut out, end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let mut out = BEGIN.to_vec();
        push_obj(
            &mut out,
            &serde_json::json!({"rrname": "a.", "rdata": ["x\ny"]}),
        );
        push_end(&mut out, &End::Limited("Result limit reached".into()));
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "a newline inside a value stays escaped");
        assert_eq!(lines[0]["cond"], "begin");
        assert_eq!(lines[1]["obj"]["rdata"][0], "x\ny");
        assert_eq!(lines[2]["cond"], "limited");
        assert_eq!(lines[2]["msg"], "Result limit reached");
        assert_eq!(end_line(&End::Succeeded), b"{\"cond\":\"succeeded\"}\n");
    }
}

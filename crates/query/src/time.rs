//! Time arguments and time output.
//!
//! Arguments accept epoch seconds (`1112140800`), RFC 3339 (`2005-03-30T00:00:00Z`, or a
//! bare date `2005-03-30` meaning midnight UTC), or a time relative to now (`-7d`, `-12h`,
//! `-30m`, `-90s`, `-2w`). Output is UTC.

use crate::QueryError;

/// Parses a time argument into epoch seconds.
pub fn parse_time(text: &str, now: u64) -> Result<u64, QueryError> {
    let bad = || QueryError::BadTime(text.to_owned());
    let t = text.trim();
    if let Some(rel) = t.strip_prefix('-') {
        if let Some(unit) = rel.chars().last().filter(|c| c.is_ascii_alphabetic()) {
            let n: u64 = rel[..rel.len() - 1].parse().map_err(|_| bad())?;
            let secs = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            return Ok(now.saturating_sub(n.saturating_mul(secs)));
        }
        // A bare negative number is relative seconds (as in the DNSDB API).
        let n: u64 = rel.parse().map_err(|_| bad())?;
        return Ok(now.saturating_sub(n));
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map_err(|_| bad());
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return u64::try_from(ts.as_second()).map_err(|_| bad());
    }
    if let Ok(date) = t.parse::<jiff::civil::Date>() {
        let ts = date
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|_| bad())?
            .timestamp();
        return u64::try_from(ts.as_second()).map_err(|_| bad());
    }
    Err(bad())
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub fn format_utc(secs: u64) -> String {
    match i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
    {
        Some(ts) => ts.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        None => secs.to_string(),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (for JSON with `humantime`).
pub fn format_rfc3339(secs: u64) -> String {
    match i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
    {
        Some(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => secs.to_string(),
    }
}

/// The current time in epoch seconds.
pub fn now() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let now = 1_700_000_000;
        assert_eq!(parse_time("1112140800", now).unwrap(), 1_112_140_800);
        assert_eq!(
            parse_time("2005-03-30T00:00:00Z", now).unwrap(),
            1_112_140_800
        );
        assert_eq!(parse_time("2005-03-30", now).unwrap(), 1_112_140_800);
        assert_eq!(parse_time("-7d", now).unwrap(), now - 7 * 86_400);
        assert_eq!(parse_time("-90", now).unwrap(), now - 90);
        assert_eq!(parse_time("-2w", now).unwrap(), now - 14 * 86_400);
        for bad in ["", "yesterday", "-7y", "-d", "2005-13-01"] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
        assert_eq!(format_utc(1_112_140_800), "2005-03-30 00:00:00");
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
    }
}

//! Civil dates to Unix time (proleptic Gregorian, UTC).

/// Seconds since the epoch of `y-m-d hh:mm` UTC. Dates before 1970 saturate to 0.
pub fn unix_time(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> u64 {
    // Howard Hinnant's days_from_civil.
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60;
    u64::try_from(secs).unwrap_or(0)
}

/// Seconds per hour.
pub const HOUR: u64 = 3600;
/// Seconds per day.
pub const DAY: u64 = 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(unix_time(1970, 1, 1, 0, 0), 0);
        assert_eq!(unix_time(2004, 8, 28, 0, 0), 1_093_651_200);
        assert_eq!(unix_time(2005, 3, 1, 12, 30), 1_109_680_200);
        assert_eq!(unix_time(2003, 9, 15, 0, 0), 1_063_584_000);
    }
}

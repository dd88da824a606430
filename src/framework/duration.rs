//! Go duration strings ("300ms", "1h30m").
//!
//! Hand-written because Terraform users write `timeouts` in exactly Go's `time.ParseDuration`
//! grammar, and no Rust crate implements that grammar precisely: `[-+]?([0-9]*(\.[0-9]*)?unit)+`
//! with units ns, us (µs, μs), ms, s, m, h, or the bare "0".

use std::time::Duration;

use thiserror::Error;

/// A string that is not a valid (non-negative) Go duration.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// Not Go duration syntax.
    #[error(
        "invalid duration {0:?}: expected a number and a unit such as \"30s\", \"5m\" or \"1h30m\""
    )]
    Invalid(String),
    /// A number without a unit.
    #[error("missing unit in duration {0:?}: use one of ns, us, ms, s, m, h")]
    MissingUnit(String),
    /// An unknown unit.
    #[error("unknown unit {unit:?} in duration {input:?}: use one of ns, us, ms, s, m, h")]
    UnknownUnit {
        /// The whole input.
        input: String,
        /// The unit found.
        unit: String,
    },
    /// Larger than Go's limit (about 292 years).
    #[error("duration {0:?} is too large")]
    Overflow(String),
    /// Valid Go syntax but negative, which makes no sense for a timeout.
    #[error("duration {0:?} is negative")]
    Negative(String),
}

/// Go's durations are `int64` nanoseconds.
const MAX_NANOS: u128 = i64::MAX as u128;

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parses a Go duration, returning whether it was negative and its magnitude in nanoseconds.
fn parse_signed(input: &str) -> Result<(bool, u128), DurationError> {
    let invalid = || DurationError::Invalid(input.to_string());
    let mut s = input;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok((neg, 0));
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let limit = if neg { MAX_NANOS + 1 } else { MAX_NANOS };
    let mut total: u128 = 0;
    while !s.is_empty() {
        // Integer part.
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let (int_digits, rest) = s.split_at(int_len);
        s = rest;
        let mut int_part: u128 = 0;
        for d in int_digits.bytes() {
            int_part = int_part * 10 + u128::from(d - b'0');
            if int_part > limit {
                return Err(DurationError::Overflow(input.to_string()));
            }
        }
        // Fraction: digits beyond what u128 can scale are dropped, as Go drops them.
        let mut frac: u128 = 0;
        let mut scale: u128 = 1;
        if let Some(rest) = s.strip_prefix('.') {
            let frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            for d in rest[..frac_len].bytes() {
                if scale < 10u128.pow(30) {
                    frac = frac * 10 + u128::from(d - b'0');
                    scale *= 10;
                }
            }
            s = &rest[frac_len..];
            if int_len == 0 && frac_len == 0 {
                return Err(invalid());
            }
        } else if int_len == 0 {
            return Err(invalid());
        }
        // Unit: everything up to the next digit or '.'.
        let unit_len = s
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(s.len(), |(i, _)| i);
        let (unit, rest) = s.split_at(unit_len);
        s = rest;
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(input.to_string()));
        }
        let per = unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
            input: input.to_string(),
            unit: unit.to_string(),
        })?;
        let part = int_part
            .checked_mul(per)
            .and_then(|v| v.checked_add(frac * per / scale))
            .ok_or_else(|| DurationError::Overflow(input.to_string()))?;
        total = total
            .checked_add(part)
            .filter(|t| *t <= limit)
            .ok_or_else(|| DurationError::Overflow(input.to_string()))?;
    }
    Ok((neg, total))
}

/// Parses a non-negative Go duration ("300ms", "1.5h", "2h45m", "0").
///
/// Negative durations are valid Go but are reported as [`DurationError::Negative`].
pub fn parse_go_duration(s: &str) -> Result<Duration, DurationError> {
    let (neg, nanos) = parse_signed(s)?;
    if neg && nanos != 0 {
        return Err(DurationError::Negative(s.to_string()));
    }
    // nanos <= i64::MAX here, so it fits in u64.
    let nanos = u64::try_from(nanos).map_err(|_| DurationError::Overflow(s.to_string()))?;
    Ok(Duration::from_nanos(nanos))
}

/// Formats a duration the way Go prints it ("20m0s", "1h30m0s", "1.5s").
pub fn format_go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000_000_000 {
        let (value, unit) = if nanos < 1_000 {
            (nanos as f64, "ns")
        } else if nanos < 1_000_000 {
            (nanos as f64 / 1e3, "µs")
        } else {
            (nanos as f64 / 1e6, "ms")
        };
        return format!("{value}{unit}");
    }
    let secs = d.as_secs();
    let frac = d.subsec_nanos();
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if frac == 0 {
        out.push_str(&format!("{s}s"));
    } else {
        let f = format!("{frac:09}");
        out.push_str(&format!("{s}.{}s", f.trim_end_matches('0')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Duration {
        parse_go_duration(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_go_examples() {
        assert_eq!(ok("300ms"), Duration::from_millis(300));
        assert_eq!(ok("1.5h"), Duration::from_secs(5400));
        assert_eq!(ok("2h45m"), Duration::from_secs(2 * 3600 + 45 * 60));
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("-0"), Duration::ZERO);
        assert_eq!(ok("+5s"), Duration::from_secs(5));
        assert_eq!(ok("1us"), Duration::from_micros(1));
        assert_eq!(ok("1µs"), Duration::from_micros(1));
        assert_eq!(ok("1μs"), Duration::from_micros(1));
        assert_eq!(ok("10ns"), Duration::from_nanos(10));
        assert_eq!(ok(".5s"), Duration::from_millis(500));
        assert_eq!(ok("5.s"), Duration::from_secs(5));
        assert_eq!(ok("1h1m1s1ms"), Duration::from_millis(3_661_001));
        assert_eq!(ok("0.000000001s"), Duration::from_nanos(1));
        assert_eq!(
            ok("2562047h47m16.854775807s"),
            Duration::from_nanos(i64::MAX as u64)
        );
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "", "-", "+", ".", "s", "1", "10", "1.5", ".s", "1x", "1hh", "1 h", " 1h", "h1",
        ] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?} should fail");
        }
        assert!(matches!(
            parse_go_duration("5"),
            Err(DurationError::MissingUnit(_))
        ));
        assert!(matches!(
            parse_go_duration("5d"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_go_duration("2562048h"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(
            parse_go_duration("9999999999999999999999h"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(
            parse_go_duration("-5m"),
            Err(DurationError::Negative(_))
        ));
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_go_duration(Duration::from_secs(1200)), "20m0s");
        assert_eq!(format_go_duration(Duration::from_secs(5400)), "1h30m0s");
        assert_eq!(format_go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_go_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(format_go_duration(Duration::ZERO), "0s");
        for d in [
            Duration::from_secs(1200),
            Duration::from_millis(1500),
            Duration::from_secs(7322),
        ] {
            assert_eq!(ok(&format_go_duration(d)), d);
        }
    }
}

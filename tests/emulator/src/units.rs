//! Kubernetes-style resource quantities and Go durations, as athena checks them
//! (`x-validate_cpu`, `x-validate_memory`, `x-validate_storage`, `x-validate_duration`).

/// CPU in cores: `"200m"` = 0.2, `"2"` = 2 (`k8s.create-ca.invalid.resources-units` rejects `"lots"`).
pub fn cpu(s: &str) -> Option<f64> {
    let (num, milli) = match s.strip_suffix('m') {
        Some(n) => (n, true),
        None => (s, false),
    };
    let v = number(num)?;
    Some(if milli { v / 1000.0 } else { v })
}

/// Bytes from `"128M"`, `"256Mi"`, `"0.39GiB"`, `"400MiB"`, `"20Gi"` (units from the OpenAPI
/// `invalid_memory_units` text and the recorded bodies); `"128Q"` is rejected.
pub fn bytes(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v = number(num)?;
    let unit = unit.trim().to_ascii_lowercase();
    let mult: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "p" | "pb" => 1e15,
        "e" | "eb" => 1e18,
        "ki" | "kib" => 1024f64,
        "mi" | "mib" => 1024f64.powi(2),
        "gi" | "gib" => 1024f64.powi(3),
        "ti" | "tib" => 1024f64.powi(4),
        "pi" | "pib" => 1024f64.powi(5),
        "ei" | "eib" => 1024f64.powi(6),
        _ => return None,
    };
    Some(v * mult)
}

/// `"2.0 GiB"`: the form athena prints in `invalid_requests_for_limits` (`k8s.create-ca.invalid.requests-over-limits`).
pub fn friendly_bytes(b: f64) -> String {
    const UNITS: [&str; 6] = ["Bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{} {}", v as u64, UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// A Go duration string (`"60s"`, `"1h30m"`) in nanoseconds; `"5x"` is rejected
/// (`k8s.create-peer.invalid.illegal-config-override`).
pub fn duration_ns(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0.0);
    }
    let mut rest = s;
    let mut total = 0.0;
    while !rest.is_empty() {
        let split = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (num, tail) = rest.split_at(split);
        let v = number(num)?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let mult = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += v * mult;
        rest = next;
    }
    Some(total)
}

fn number(s: &str) -> Option<f64> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_units() {
        assert_eq!(cpu("200m"), Some(0.2));
        assert_eq!(cpu("2"), Some(2.0));
        assert_eq!(cpu("lots"), None);
    }

    #[test]
    fn memory_units() {
        assert_eq!(bytes("2Gi"), Some(2.0 * 1024f64.powi(3)));
        assert_eq!(bytes("128M"), Some(128e6));
        assert_eq!(bytes("400MiB"), Some(400.0 * 1024f64.powi(2)));
        assert_eq!(bytes("128Q"), None);
        assert_eq!(friendly_bytes(bytes("2Gi").unwrap()), "2.0 GiB");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ns("60s"), Some(60e9));
        assert_eq!(duration_ns("1h30m"), Some(5400e9));
        assert_eq!(duration_ns("5x"), None);
    }
}

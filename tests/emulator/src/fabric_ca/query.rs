//! Minimal URL query handling: fabric-ca selects the CA with `?ca=<name>`.

/// The first value of query parameter `key`, percent-decoded (`+` is a space).
pub(crate) fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k)? == key).then(|| decode(v)).flatten()
        })
        .next()
}

/// Percent-decode one query component; `None` if it is not valid UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_decodes_the_ca_parameter() {
        assert_eq!(
            query_param(Some("ca=tlsca"), "ca").as_deref(),
            Some("tlsca")
        );
        assert_eq!(
            query_param(Some("x=1&ca=my%20ca"), "ca").as_deref(),
            Some("my ca")
        );
        assert_eq!(query_param(Some("cab=1"), "ca"), None);
        assert_eq!(query_param(None, "ca"), None);
        assert_eq!(query_param(Some("ca=%"), "ca").as_deref(), Some("%"));
        assert_eq!(query_param(Some("ca=a%2"), "ca").as_deref(), Some("a%2"));
    }
}

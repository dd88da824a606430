//! What the console client and the Fabric clients share below them: TLS trust (the configured
//! bundle, pins, the system roots) for HTTPS to consoles and to the CAs they deploy.

pub mod tls;

/// Serde: `null` in an answer becomes the type's default (athena and fabric-ca send `null` for
/// some empty lists and strings).
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// The error chain as one line (reqwest's top-level text alone says little).
/// The URL reqwest puts in its text is dropped: the request label names the path.
pub fn describe(e: &reqwest::Error) -> String {
    let mut top = e.to_string();
    if let Some(url) = e.url() {
        top = top.replace(&format!(" for url ({url})"), "");
        top = top.replace(url.as_str(), url.path());
    }
    let mut parts = vec![top];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

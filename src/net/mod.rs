//! What the console client and the Fabric clients share below them: TLS trust (the configured
//! bundle, pins, the system roots) for HTTPS to consoles and to the CAs they deploy.

pub mod tls;

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

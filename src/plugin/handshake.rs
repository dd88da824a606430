//! The go-plugin handshake: the magic-cookie check, protocol negotiation and the
//! single stdout line through which Terraform learns where and how to connect
//! (docs/dev/plugin-protocol.md#magic-cookie, docs/dev/plugin-protocol.md#protocol-negotiation,
//! docs/dev/plugin-protocol.md#handshake-line).

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;

/// Environment variable through which Terraform proves it launched us.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";

/// The value Terraform sets for [`MAGIC_COOKIE_KEY`].
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own protocol version: the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// The tfplugin major versions this provider speaks.
pub const SUPPORTED_PROTOCOL_VERSIONS: &[u32] = &[5];

/// Printed (to stderr) when a person runs the binary directly, in go-plugin's words.
pub const NOT_A_PLUGIN_MESSAGE: &str =
    "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will\n\
load any plugins automatically\n";

/// True when the magic cookie Terraform sets is present and correct.
pub fn cookie_is_valid(value: Option<&str>) -> bool {
    value == Some(MAGIC_COOKIE_VALUE)
}

/// Picks the tfplugin version to announce from `PLUGIN_PROTOCOL_VERSIONS`.
///
/// The list comes from a Go map, so its order is random: the highest version both
/// sides speak wins. Like go-plugin, when nothing is shared (or the variable is
/// missing) we announce our own highest version and let the client report the
/// mismatch, which gives the user a better message than a silent exit.
pub fn negotiate_protocol(offered: Option<&str>, supported: &[u32]) -> u32 {
    let ours = supported.iter().copied().max().unwrap_or(0);
    offered
        .into_iter()
        .flat_map(|list| list.split(','))
        .filter_map(|item| item.trim().parse::<u32>().ok())
        .filter(|version| supported.contains(version))
        .max()
        .unwrap_or(ours)
}

/// How the client reaches the listener named in the handshake line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// A unix domain socket path.
    Unix,
    /// A `host:port` TCP address.
    Tcp,
}

impl Network {
    fn as_str(self) -> &'static str {
        match self {
            Network::Unix => "unix",
            Network::Tcp => "tcp",
        }
    }
}

/// Builds the handshake line (without the trailing newline):
/// `CORE|APP|NETWORK|ADDR|grpc|CERT`.
///
/// CERT is the server certificate's DER in standard base64 without padding (Go's
/// `RawStdEncoding`), or empty when serving without TLS.
pub fn handshake_line(
    app_version: u32,
    network: Network,
    addr: &str,
    cert_der: Option<&[u8]>,
) -> String {
    let cert = cert_der
        .map(|der| STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{app_version}|{}|{addr}|grpc|{cert}",
        network.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert!(cookie_is_valid(Some(MAGIC_COOKIE_VALUE)));
        assert!(!cookie_is_valid(None));
        assert!(!cookie_is_valid(Some("")));
        assert!(!cookie_is_valid(Some(&MAGIC_COOKIE_VALUE[1..])));
        assert!(!cookie_is_valid(Some(&format!("{MAGIC_COOKIE_VALUE} "))));
    }

    #[test]
    fn negotiation_picks_five_whatever_the_order() {
        assert_eq!(negotiate_protocol(Some("5,6"), &[5]), 5);
        assert_eq!(negotiate_protocol(Some("6,5"), &[5]), 5);
        assert_eq!(negotiate_protocol(Some(" 6 , 5 "), &[5]), 5);
    }

    #[test]
    fn negotiation_prefers_the_highest_shared_version() {
        assert_eq!(negotiate_protocol(Some("4,6,5"), &[4, 5]), 5);
        assert_eq!(negotiate_protocol(Some("4"), &[4, 5]), 4);
    }

    #[test]
    fn negotiation_falls_back_to_our_version_when_nothing_is_shared() {
        assert_eq!(negotiate_protocol(Some("6"), &[5]), 5);
        assert_eq!(negotiate_protocol(Some("garbage,,"), &[5]), 5);
        assert_eq!(negotiate_protocol(Some(""), &[5]), 5);
        assert_eq!(negotiate_protocol(None, &[5]), 5);
    }

    #[test]
    fn handshake_line_with_certificate_has_no_padding() {
        // 4 bytes encode to 8 chars with "==" padding in padded base64.
        let line = handshake_line(
            5,
            Network::Unix,
            "/tmp/plugin123",
            Some(&[0xde, 0xad, 0xbe, 0xef]),
        );
        assert_eq!(line, "1|5|unix|/tmp/plugin123|grpc|3q2+7w");
        assert!(!line.ends_with('='));
    }

    #[test]
    fn handshake_line_without_tls_leaves_the_cert_empty() {
        let line = handshake_line(5, Network::Unix, "/tmp/p", None);
        assert_eq!(line, "1|5|unix|/tmp/p|grpc|");
        assert_eq!(line.split('|').count(), 6);
    }

    #[test]
    fn handshake_line_for_tcp() {
        assert_eq!(
            handshake_line(5, Network::Tcp, "127.0.0.1:1234", None),
            "1|5|tcp|127.0.0.1:1234|grpc|"
        );
    }
}

//! `--debug`: the provider runs on its own (under a debugger, say) and Terraform
//! reattaches to it through `TF_REATTACH_PROVIDERS` instead of launching it.

use std::path::Path;

use serde_json::json;

/// The `TF_REATTACH_PROVIDERS` value for a provider listening on `socket`.
///
/// `"Test": true` matters: without it Terraform shuts the process down after its
/// first command, and the next one fails with "Reattachment process not found"
/// (docs/dev/plugin-protocol.md#reattach-and-debug).
pub fn reattach_json(
    provider_address: &str,
    protocol_version: u32,
    pid: u32,
    socket: &Path,
) -> String {
    json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": protocol_version,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": "unix", "String": socket.to_string_lossy() },
        }
    })
    .to_string()
}

/// The text printed on stdout in debug mode.
pub fn instructions(provider_address: &str, reattach: &str) -> String {
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable \
         with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\n\
         Terraform will then use this running {provider_address} instead of launching it. \
         Press Ctrl-C to stop.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn reattach_json_has_the_fields_terraform_reads() {
        let text = reattach_json(
            "registry.terraform.io/ibm-blockchain/blockchain",
            5,
            4242,
            Path::new("/tmp/plugin1"),
        );
        assert_eq!(
            text,
            "{\"registry.terraform.io/ibm-blockchain/blockchain\":{\"Protocol\":\"grpc\",\"ProtocolVersion\":5,\
             \"Pid\":4242,\"Test\":true,\"Addr\":{\"Network\":\"unix\",\"String\":\"/tmp/plugin1\"}}}"
        );
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed["registry.terraform.io/ibm-blockchain/blockchain"]["Test"],
            true
        );
    }

    #[test]
    fn instructions_quote_the_json_for_a_shell() {
        let text = instructions("registry.terraform.io/x/y", "{\"a\":1}");
        assert!(text.contains("TF_REATTACH_PROVIDERS='{\"a\":1}'"));
    }
}

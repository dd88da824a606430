//! Entry point: the go-plugin runtime serving the `blockchain` provider.

use tfprovider_blockchain::framework::ProviderServer;
use tfprovider_blockchain::plugin;
use tfprovider_blockchain::provider::BlockchainProvider;

fn main() -> std::process::ExitCode {
    plugin::main_entry(|| ProviderServer::new(BlockchainProvider::new()).into_service())
}

# The ordering service another organization runs, imported into each region's console from
# the JSON its console exports, so every region's peers can join its channels.
provider "blockchain" {
  alias       = "region1"
  console_url = "https://console.region1.example.org"
  api_key     = var.region1_api_key
  api_secret  = var.region1_api_secret
}

provider "blockchain" {
  alias       = "region2"
  console_url = "https://console.region2.example.org"
  api_key     = var.region2_api_key
  api_secret  = var.region2_api_secret
}

resource "blockchain_ordering_service_import" "os_region1" {
  provider    = blockchain.region1
  export_json = var.ordering_service_export_json
  tags        = ["orderers"]
}

# Carried on: region 1's export of the service, under another name in region 2.
resource "blockchain_ordering_service_import" "os_region2" {
  provider     = blockchain.region2
  export_json  = blockchain_ordering_service_import.os_region1.console_export_json
  cluster_name = "Ordering Service (shared)"
}

output "orderer_grpc_urls" {
  value = [for n in blockchain_ordering_service_import.os_region1.nodes : n.api_url]
}

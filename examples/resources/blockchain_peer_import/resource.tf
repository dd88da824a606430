# Region 2's peer, imported into region 1's console, and region 1's peer into region 2's:
# "import every peer into every console", so either console can manage all of them.
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

# From another console's peer export (the file its download button writes, read with
# file("Peer0 Org1_peer.json"), or a blockchain_peer's export_json).
resource "blockchain_peer_import" "peer0_in_region1" {
  provider    = blockchain.region1
  export_json = var.region2_peer0_export_json
  tags        = ["org1", "region2"]
}

# From explicit fields (PEM certificates).
resource "blockchain_peer_import" "peer1_in_region2" {
  provider         = blockchain.region2
  display_name     = "Peer1 Org1 (region 1)"
  msp_id           = "Org1MSP"
  api_url          = "grpcs://peer1.org1.region1.example.org:7051"
  grpcwp_url       = "https://peer1.org1.region1.example.org:7443"
  operations_url   = "https://peer1.org1.region1.example.org:9443"
  tls_cert         = var.peer1_tls_cert_pem
  tlsca_root_certs = [var.org1_tlsca_root_pem]
  tags             = ["org1", "region1"]
}

# Carried on to a third console: this console's export of the record.
output "peer0_export" {
  value = blockchain_peer_import.peer0_in_region1.console_export_json
}

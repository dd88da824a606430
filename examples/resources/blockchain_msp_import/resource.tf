# Region 1's console runs the organization's CA; region 2's console imports its MSP.
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

resource "blockchain_ca" "org1" {
  provider            = blockchain.region1
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.org1_ca_admin_secret
}

# From explicit fields: the CA's roots and the organization's admin certificate (PEM).
resource "blockchain_msp_import" "org1" {
  provider       = blockchain.region2
  display_name   = "Org1 MSP"
  msp_id         = "Org1MSP"
  root_certs     = blockchain_ca.org1.ca_root_certs
  tls_root_certs = blockchain_ca.org1.tlsca_root_certs
  admins         = [var.org1_admin_cert_pem]
  fabric_node_ous = jsonencode({
    enable                = true
    client_ou_identifier  = { organizational_unit_identifier = "client" }
    peer_ou_identifier    = { organizational_unit_identifier = "peer" }
    admin_ou_identifier   = { organizational_unit_identifier = "admin" }
    orderer_ou_identifier = { organizational_unit_identifier = "orderer" }
  })
  tags = ["org1"]
}

# From another console's MSP export (the file its download button writes, read with
# file("Org2 MSP_msp.json"), or a blockchain_msp's export_json), renamed here.
resource "blockchain_msp_import" "org2" {
  provider     = blockchain.region2
  export_json  = var.org2_msp_export_json
  display_name = "Org2 MSP (region 1)"
}

# Carried on to a third console: this console's export of the record.
output "org1_msp_export" {
  value = blockchain_msp_import.org1.console_export_json
}

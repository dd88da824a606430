# Region 1's console runs the organization's CA; regions 2 and 3 import it (the multi-region
# HA layout: the CA lives in region 1).
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

# From region 1's export, as the console's "import CA" button takes it. The admin credentials
# are checked once by enrolling at both CAs before the record is created; they are never stored.
resource "blockchain_ca_import" "org1" {
  provider            = blockchain.region2
  export_json         = blockchain_ca.org1.export_json
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.org1_ca_admin_secret
  tags                = ["org1"]
}

# From explicit fields (a CA no console exported), with a TLS CA admin of its own.
resource "blockchain_ca_import" "org2" {
  provider                  = blockchain.region2
  display_name              = "Org2 CA"
  api_url                   = "https://ca.org2.example.org:7054"
  operations_url            = "https://ca.org2.example.org:9443"
  ca_name                   = "ca"
  tlsca_name                = "tlsca"
  ca_root_certs             = [var.org2_ca_root_pem]
  tlsca_root_certs          = [var.org2_tlsca_root_pem]
  tls_cert                  = var.org2_ca_tls_cert_pem
  admin_enroll_id           = "admin"
  admin_enroll_secret       = var.org2_ca_admin_secret
  tlsca_admin_enroll_id     = "tlsadmin"
  tlsca_admin_enroll_secret = var.org2_tlsca_admin_secret
}

# Carried on to a third console: this console's export of the record.
output "org1_ca_export" {
  value = blockchain_ca_import.org1.console_export_json
}

# The CA to enroll at (see blockchain_ca).
resource "blockchain_ca" "org1" {
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret
}

# The CA admin's enrollment certificate: what makes it a registrar for blockchain_ca_identity.
resource "blockchain_enrolled_identity" "ca_admin" {
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.ca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "admin"
  enroll_secret = var.ca_admin_secret # write-only: never stored in state

  msp_id          = "Org1MSP" # only written into export_json
  reenroll_before = "720h"    # re-enroll when the certificate ends within 30 days
}

# A TLS certificate for a peer, from the TLS CA (its default profile is the TLS one).
resource "blockchain_enrolled_identity" "peer0_tls" {
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.tlsca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "org1peer0"
  enroll_secret = var.peer0_secret
  csr_hosts     = ["peer0.org1.example.com", "127.0.0.1"]
}

# The identity as the console wallet's export, e.g. for another region's console.
output "ca_admin_identity" {
  value     = blockchain_enrolled_identity.ca_admin.export_json
  sensitive = true
}

variable "ca_admin_secret" {
  type      = string
  sensitive = true
}

variable "peer0_secret" {
  type      = string
  sensitive = true
}

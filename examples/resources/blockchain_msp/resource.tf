# The organization's CA (see blockchain_ca) and its admin's enrollment certificate.
resource "blockchain_ca" "org1" {
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret
}

resource "blockchain_enrolled_identity" "org1_admin" {
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.ca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "org1admin"
  enroll_secret = var.org1_admin_secret
  msp_id        = "Org1MSP"
}

# The organization's MSP, as the console's "Create MSP definition" panel builds it: the roots
# and intermediates of the CA's `ca` and `tlsca` chains (read at plan time), NodeOUs for the
# admin, client, peer and orderer roles, and this console's URL as host_url.
resource "blockchain_msp" "org1" {
  display_name = "Org1 MSP"
  msp_id       = "Org1MSP"
  api_url      = blockchain_ca.org1.api_url
  ca_name      = blockchain_ca.org1.ca_name
  tlsca_name   = blockchain_ca.org1.tlsca_name
  tls_cert     = blockchain_ca.org1.tls_cert # also lets the MSP follow a replaced CA in one apply
  admins       = [blockchain_enrolled_identity.org1_admin.certificate]
  tags         = ["org1"]
}

# The MSP as the console's export button writes it, e.g. for blockchain_msp_import on another
# region's console.
output "org1_msp_export" {
  value = blockchain_msp.org1.export_json
}

variable "ca_admin_secret" {
  type      = string
  sensitive = true
}

variable "org1_admin_secret" {
  type      = string
  sensitive = true
}

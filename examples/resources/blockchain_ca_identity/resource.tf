variable "ca_admin_secret" {
  type      = string
  sensitive = true
}

resource "blockchain_ca" "org1" {
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret
}

# The registrar: the CA admin's enrollment (certificate and key), e.g. from
# fabric-ca-client or another resource's outputs.
variable "ca_admin_cert" {
  type = string
}
variable "ca_admin_key" {
  type      = string
  sensitive = true
}

resource "blockchain_ca_identity" "org1peer0" {
  api_url  = blockchain_ca.org1.api_url
  ca_name  = blockchain_ca.org1.ca_name
  tls_cert = blockchain_ca.org1.tls_cert

  enroll_id       = "org1peer0"
  type            = "peer"
  max_enrollments = -1
  attributes = [
    { name = "role", value = "endorser", ecert = true },
  ]
  # enroll_secret left out: the CA generates one, kept in state (sensitive) to enroll with.

  registrar {
    certificate = var.ca_admin_cert
    private_key = var.ca_admin_key
  }
}

# The org admin as the console's Export button wrote it, checked against the organization's CA
# roots; an Ansible collection identity file works the same way.
resource "blockchain_identity_import" "org1_admin" {
  identity_json  = var.org1_admin_identity_json # e.g. file("Org1 Admin_identity.json")
  msp_id         = "Org1MSP"
  msp_root_certs = var.org1_ca_root_certs # e.g. blockchain_ca.org1.ca_root_certs
  require_admin  = true
  expiry_warning = "720h" # warn 30 days before the certificate expires
}

# The same from PEM fields (certificates after the first one are its CA chain).
resource "blockchain_identity_import" "org1_admin_pem" {
  certificate    = var.org1_admin_cert_pem
  private_key    = var.org1_admin_key_pem
  msp_id         = "Org1MSP"
  msp_root_certs = var.org1_ca_root_certs
  require_admin  = true
}

# Other resources take the whole `identity` object, private key included (sensitive).
output "org1_admin_enroll_id" {
  value = blockchain_identity_import.org1_admin.enroll_id
}

variable "org1_admin_identity_json" {
  type      = string
  sensitive = true
}

variable "org1_admin_cert_pem" {
  type = string
}

variable "org1_admin_key_pem" {
  type      = string
  sensitive = true
}

variable "org1_ca_root_certs" {
  type = list(string)
}

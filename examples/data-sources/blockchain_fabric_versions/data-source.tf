data "blockchain_fabric_versions" "offered" {}

locals {
  # The newest CA version the console offers (the lists are oldest first).
  newest_ca_version = reverse(data.blockchain_fabric_versions.offered.ca)[0].version
}

resource "blockchain_ca" "org1" {
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret
  version             = local.newest_ca_version
}

output "default_peer_versions" {
  value = [for v in data.blockchain_fabric_versions.offered.peer : v.version if v.default]
}

variable "ca_admin_secret" {
  type      = string
  sensitive = true
}

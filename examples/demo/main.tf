# A minimal configuration: one console, one CA (`make demo` applies examples/multi-region-ha).
# Credentials come from BLOCKCHAIN_CONSOLE_URL / BLOCKCHAIN_API_KEY / BLOCKCHAIN_API_SECRET.
terraform {
  required_providers {
    blockchain = {
      source  = "ibm-blockchain/blockchain"
      version = "~> 0.1"
    }
  }
}

provider "blockchain" {}

variable "ca_admin_secret" {
  type      = string
  sensitive = true
  default   = "demo-admin-pw"
}

resource "blockchain_ca" "org1" {
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret
  tags                = ["demo", "org1"]

  timeouts {
    create = "5m"
  }
}

output "ca_api_url" {
  value = blockchain_ca.org1.api_url
}

output "ca_id" {
  value = blockchain_ca.org1.id
}

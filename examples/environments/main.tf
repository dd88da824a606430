# The org-region module reused across environments: one configuration, one variables file per
# environment (and one state each, e.g. a Terraform workspace or a backend key per environment):
#
#   terraform workspace new staging    && terraform apply -var-file=staging.tfvars
#   terraform workspace new production && terraform apply -var-file=production.tfvars
#
# Each environment has its own two consoles and its own organization; sizes differ.

terraform {
  required_version = ">= 1.11"
  required_providers {
    blockchain = {
      source  = "ibm-blockchain/blockchain"
      version = "~> 0.1"
    }
  }
}

provider "blockchain" {
  alias       = "primary"
  console_url = var.consoles.primary.url
  api_key     = var.consoles.primary.api_key
  api_secret  = var.consoles.primary.api_secret
}

provider "blockchain" {
  alias       = "secondary"
  console_url = var.consoles.secondary.url
  api_key     = var.consoles.secondary.api_key
  api_secret  = var.consoles.secondary.api_secret
}

module "primary" {
  source    = "../modules/org-region"
  providers = { blockchain = blockchain.primary }

  region           = "${var.environment}-a"
  org_name         = var.org_name
  msp_id           = var.msp_id
  ca_admin         = var.ca_admin
  org_admin_secret = var.org_admin_secret
  peer             = var.peer
  other_peers      = { secondary = module.secondary.peer_export_json }
  tags             = [var.environment]
}

module "secondary" {
  source    = "../modules/org-region"
  providers = { blockchain = blockchain.secondary }

  region   = "${var.environment}-b"
  org_name = var.org_name
  msp_id   = var.msp_id
  ca_admin = var.ca_admin
  home     = false

  home_ca_export_json      = module.primary.ca_export_json
  home_msp_export_json     = module.primary.msp_export_json
  home_admin_identity_json = module.primary.admin_identity_json
  peer                     = var.peer
  other_peers              = { primary = module.primary.peer_export_json }
  tags                     = [var.environment]
}

output "consoles" {
  value = {
    primary   = module.primary.summary
    secondary = module.secondary.summary
  }
}

# The seed's steps 1 to 3 and 4.1 across two consoles: region 1 creates the CA, registers and
# enrolls the organization's admin and defines the MSP; region 2 imports the CA (its admin
# credentials checked by an enroll, never stored), the MSP and the admin identity, and registers
# its own peer identity with the imported CA. Every export is an attribute reference: no JSON
# file is downloaded by hand. Peers come in examples/multi-region-ha.

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
  alias       = "region1"
  console_url = var.consoles["region1"].url
  api_key     = var.consoles["region1"].api_key
  api_secret  = var.consoles["region1"].api_secret
}

provider "blockchain" {
  alias       = "region2"
  console_url = var.consoles["region2"].url
  api_key     = var.consoles["region2"].api_key
  api_secret  = var.consoles["region2"].api_secret
}

module "region1" {
  source    = "../modules/org-region"
  providers = { blockchain = blockchain.region1 }

  region           = "region1"
  org_name         = var.org_name
  msp_id           = var.msp_id
  ca_admin         = var.ca_admin
  org_admin_secret = var.org_admin_secret
  create_peer      = false
}

module "region2" {
  source    = "../modules/org-region"
  providers = { blockchain = blockchain.region2 }

  region   = "region2"
  org_name = var.org_name
  msp_id   = var.msp_id
  ca_admin = var.ca_admin
  home     = false

  home_ca_export_json      = module.region1.ca_export_json
  home_msp_export_json     = module.region1.msp_export_json
  home_admin_identity_json = module.region1.admin_identity_json
  create_peer              = false
}

output "consoles" {
  description = "What each region's console holds."
  value = {
    region1 = module.region1.summary
    region2 = module.region2.summary
  }
}

# The seed's multi-region HA layout in one graph: one endorsing organization with a peer in each
# of three regions, each region with its own console. Region 1 creates the CA, the identities and
# the MSP; regions 2 and 3 import them from region 1's exports (attribute references: no file is
# downloaded by hand); every peer is imported into every other console, and the ordering
# service's export into every console. `terraform apply` runs it all in dependency order.

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

provider "blockchain" {
  alias       = "region3"
  console_url = var.consoles["region3"].url
  api_key     = var.consoles["region3"].api_key
  api_secret  = var.consoles["region3"].api_secret
}

locals {
  # Every region's peer export, for the other consoles.
  peers = {
    region1 = module.region1.peer_export_json
    region2 = module.region2.peer_export_json
    region3 = module.region3.peer_export_json
  }
}

module "region1" {
  source    = "../modules/org-region"
  providers = { blockchain = blockchain.region1 }

  region           = "region1"
  org_name         = var.org_name
  msp_id           = var.msp_id
  ca_admin         = var.ca_admin
  org_admin_secret = var.org_admin_secret
  peer             = var.peer

  other_peers                  = { for r, p in local.peers : r => p if r != "region1" }
  ordering_service_export_json = var.ordering_service_export_json
  tags                         = var.tags
}

module "region2" {
  source    = "../modules/org-region"
  providers = { blockchain = blockchain.region2 }

  region   = "region2"
  org_name = var.org_name
  msp_id   = var.msp_id
  ca_admin = var.ca_admin
  # What region 1 exports (the seed's step 2), each as its own input.
  home                     = false
  home_ca_export_json      = module.region1.ca_export_json
  home_msp_export_json     = module.region1.msp_export_json
  home_admin_identity_json = module.region1.admin_identity_json
  peer                     = var.peer

  other_peers                  = { for r, p in local.peers : r => p if r != "region2" }
  ordering_service_export_json = var.ordering_service_export_json
  tags                         = var.tags
}

module "region3" {
  source    = "../modules/org-region"
  providers = { blockchain = blockchain.region3 }

  region   = "region3"
  org_name = var.org_name
  msp_id   = var.msp_id
  ca_admin = var.ca_admin
  # What region 1 exports (the seed's step 2), each as its own input.
  home                     = false
  home_ca_export_json      = module.region1.ca_export_json
  home_msp_export_json     = module.region1.msp_export_json
  home_admin_identity_json = module.region1.admin_identity_json
  peer                     = var.peer

  other_peers                  = { for r, p in local.peers : r => p if r != "region3" }
  ordering_service_export_json = var.ordering_service_export_json
  tags                         = var.tags
}

# ---- The channel (next) ----
# With the ordering service imported everywhere, each region's module is where its peer joins the
# channel and becomes an anchor peer; the smart contract is installed on every peer after that.

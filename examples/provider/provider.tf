terraform {
  required_providers {
    blockchain = {
      source  = "ibm-blockchain/blockchain"
      version = "~> 0.1"
    }
  }
}

# One provider block per console. With a console API key:
provider "blockchain" {
  alias       = "region1"
  console_url = "https://console-us-east.example.org:32000"
  api_key     = var.region1_api_key
  api_secret  = var.region1_api_secret
}

# IBM Blockchain Platform on IBM Cloud: an IAM API key instead.
provider "blockchain" {
  alias       = "region2"
  console_url = "https://abc123-optools.bp01.blockchain.cloud.ibm.com"
  iam_api_key = var.ibmcloud_api_key
}

variable "region1_api_key" {
  type      = string
  sensitive = true
}

variable "region1_api_secret" {
  type      = string
  sensitive = true
}

variable "ibmcloud_api_key" {
  type      = string
  sensitive = true
}

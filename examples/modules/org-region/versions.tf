terraform {
  required_providers {
    blockchain = {
      source  = "ibm-blockchain/blockchain"
      version = "~> 0.1"
    }
  }
}

# Every CA of the console.
data "blockchain_components" "cas" {
  type = "fabric-ca"
}

# Every orderer tagged "raft1" (tags match whatever their case).
data "blockchain_components" "raft1_orderers" {
  type = "fabric-orderer"
  tag  = "raft1"
}

output "ca_api_urls" {
  value = { for c in data.blockchain_components.cas.components : c.display_name => c.api_url }
}

output "raft1_orderer_ids" {
  value = data.blockchain_components.raft1_orderers.components[*].id
}

# By id: the console's component id.
data "blockchain_component" "org1_ca" {
  id = "org1ca"
}

# By type and display name, as the console tile shows it. Exactly one component of the type
# may have the name; none, or two, is an error.
data "blockchain_component" "org1_peer" {
  type         = "fabric-peer"
  display_name = "Peer0 Org1"
}

output "org1_ca_api_url" {
  value = data.blockchain_component.org1_ca.api_url
}

# Every other field of the console's document.
output "org1_peer_ecert" {
  value = jsondecode(data.blockchain_component.org1_peer.json).msp.component.ecert
}

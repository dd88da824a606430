output "ca_export_json" {
  description = "The home region's CA export (null elsewhere), for the other regions' `home`."
  value       = one(blockchain_ca.this[*].export_json)
}

output "msp_export_json" {
  description = "The home region's MSP export (null elsewhere)."
  value       = one(blockchain_msp.this[*].export_json)
}

output "admin_identity_json" {
  description = "The organization admin's wallet export (null elsewhere). Sensitive: it holds the private key."
  value       = one(blockchain_enrolled_identity.org_admin[*].export_json)
  sensitive   = true
}

output "peer_export_json" {
  description = "This region's peer as its console exports it (null without a peer), for the other consoles' `other_peers`."
  value       = one(blockchain_peer.this[*].export_json)
}

output "summary" {
  description = "What this region's console holds, by kind."
  value = {
    ca       = one(concat(blockchain_ca.this[*].id, blockchain_ca_import.this[*].id))
    msp      = one(concat(blockchain_msp.this[*].id, blockchain_msp_import.this[*].id))
    peer     = one(blockchain_peer.this[*].id)
    imported = sort([for p in blockchain_peer_import.other : p.id])
    orderers = [for o in blockchain_ordering_service_import.this : o.id]
  }
}

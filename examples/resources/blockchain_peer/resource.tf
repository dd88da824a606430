# The organization's CA (see blockchain_ca); a CA imported with blockchain_ca_import works too.
resource "blockchain_ca" "org1" {
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret
}

# The CA admin, enrolled: the registrar of the peer's identity.
resource "blockchain_enrolled_identity" "ca_admin" {
  api_url       = blockchain_ca.org1.api_url
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "admin"
  enroll_secret = var.ca_admin_secret
}

# The peer's identity, registered in both CAs of the server (type peer).
resource "blockchain_ca_identity" "peer0" {
  api_url  = blockchain_ca.org1.api_url
  tls_cert = blockchain_ca.org1.tls_cert
  registrar {
    certificate = blockchain_enrolled_identity.ca_admin.certificate
    private_key = blockchain_enrolled_identity.ca_admin.private_key
  }
  enroll_id     = "org1peer0"
  enroll_secret = var.peer0_secret
  type          = "peer"
}

resource "blockchain_ca_identity" "peer0_tls" {
  api_url  = blockchain_ca.org1.api_url
  ca_name  = blockchain_ca.org1.tlsca_name
  tls_cert = blockchain_ca.org1.tls_cert
  registrar {
    certificate = blockchain_enrolled_identity.ca_admin.certificate
    private_key = blockchain_enrolled_identity.ca_admin.private_key
  }
  enroll_id     = "org1peer0"
  enroll_secret = var.peer0_secret
  type          = "peer"
}

resource "blockchain_peer" "org1_peer0" {
  display_name = "Org1 Peer0"
  msp_id       = "Org1MSP"

  # Write-only: used to create the peer, never stored in state.
  enrollment {
    ca_api_url    = blockchain_ca.org1.api_url
    ca_name       = blockchain_ca.org1.ca_name
    tlsca_name    = blockchain_ca.org1.tlsca_name
    ca_tls_cert   = blockchain_ca.org1.tls_cert
    enroll_id     = blockchain_ca_identity.peer0.enroll_id
    enroll_secret = var.peer0_secret
    csr_hosts     = ["peer0.org1.example.com"]
  }

  # The organization's administrators (here the CA admin, for the example's sake).
  admin_certs = [blockchain_enrolled_identity.ca_admin.certificate]

  state_db      = "couchdb"
  version       = "2.5.12-0"
  zone          = "us-east-1"
  peer_requests = { cpu = "200m", memory = "400Mi" }
  peer_limits   = { cpu = "1", memory = "1Gi" }
  storage_size  = "100Gi"
  config_override = jsonencode({
    peer = { gossip = { orgLeader = true } }
  })
  tags = ["org1"]

  timeouts {
    create = "30m"
  }
}

output "peer0_grpc_url" {
  value = blockchain_peer.org1_peer0.api_url
}

variable "ca_admin_secret" {
  type      = string
  sensitive = true
}

variable "peer0_secret" {
  type      = string
  sensitive = true
}

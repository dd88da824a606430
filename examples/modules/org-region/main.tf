# One region of an endorsing organization (the seed's steps 1 to 4 for one console).
#
# The home region (`home = true`) creates the CA, registers and enrolls the organization's admin
# and defines the MSP. Every other region imports the CA, the MSP and the admin identity from the
# home region's exports. Every region then registers its own peer identity, creates its peer,
# imports the other regions' peers and the ordering service.

locals {
  is_home = var.home
  # Enroll ids may not hold spaces: "Org1 Staging" -> "org1staging".
  slug = replace(lower(var.org_name), " ", "")
  tags = concat(var.tags, [lower(var.region)])

  # The CA this console knows: its own (home) or the imported record (elsewhere). A peer's
  # enrollment must name a CA the console knows.
  ca = local.is_home ? {
    api_url    = one(blockchain_ca.this[*].api_url)
    ca_name    = one(blockchain_ca.this[*].ca_name)
    tlsca_name = one(blockchain_ca.this[*].tlsca_name)
    tls_cert   = one(blockchain_ca.this[*].tls_cert)
    } : {
    api_url    = one(blockchain_ca_import.this[*].api_url)
    ca_name    = one(blockchain_ca_import.this[*].ca_name)
    tlsca_name = one(blockchain_ca_import.this[*].tlsca_name)
    tls_cert   = one(blockchain_ca_import.this[*].tls_cert)
  }

  # The organization's admin certificate: enrolled at home, imported elsewhere.
  admin_certificate = local.is_home ? one(blockchain_enrolled_identity.org_admin[*].certificate) : one(blockchain_identity_import.org_admin[*].identity.certificate)
}

# ---- The CA: created at home (step 1.1), imported elsewhere (step 3.1) ----

resource "blockchain_ca" "this" {
  count               = local.is_home ? 1 : 0
  display_name        = "${var.org_name} CA"
  admin_enroll_id     = var.ca_admin.enroll_id
  admin_enroll_secret = var.ca_admin.enroll_secret
  tags                = local.tags
}

resource "blockchain_ca_import" "this" {
  count               = local.is_home ? 0 : 1
  export_json         = var.home_ca_export_json
  admin_enroll_id     = var.ca_admin.enroll_id
  admin_enroll_secret = var.ca_admin.enroll_secret
  tags                = local.tags
}

# The CA administrator enrolled at both CAs of the server: the registrar of this region's
# identities (the enrollment CA's for enrollment certificates, the TLS CA's for TLS ones).
resource "blockchain_enrolled_identity" "ca_admin" {
  for_each      = toset(["ca", "tlsca"])
  api_url       = local.ca.api_url
  ca_name       = each.key == "ca" ? local.ca.ca_name : local.ca.tlsca_name
  tls_cert      = local.ca.tls_cert
  enroll_id     = var.ca_admin.enroll_id
  enroll_secret = var.ca_admin.enroll_secret
}

# ---- The organization's admin: registered and enrolled at home (step 1.2) ----

resource "blockchain_ca_identity" "org_admin" {
  count         = local.is_home ? 1 : 0
  api_url       = local.ca.api_url
  ca_name       = local.ca.ca_name
  tls_cert      = local.ca.tls_cert
  enroll_id     = "${local.slug}admin"
  enroll_secret = var.org_admin_secret
  type          = "admin"
  registrar {
    certificate = blockchain_enrolled_identity.ca_admin["ca"].certificate
    private_key = blockchain_enrolled_identity.ca_admin["ca"].private_key
  }
}

resource "blockchain_enrolled_identity" "org_admin" {
  count         = local.is_home ? 1 : 0
  api_url       = local.ca.api_url
  ca_name       = local.ca.ca_name
  tls_cert      = local.ca.tls_cert
  enroll_id     = blockchain_ca_identity.org_admin[0].enroll_id
  enroll_secret = var.org_admin_secret
  msp_id        = var.msp_id
}

# Elsewhere the admin identity comes from the home region's wallet export (step 3.3), checked:
# its key matches, it chains to the MSP's roots and it has the admin role.
resource "blockchain_identity_import" "org_admin" {
  count          = local.is_home ? 0 : 1
  identity_json  = var.home_admin_identity_json
  msp_id         = var.msp_id
  # The imported CA's roots are the MSP's identity roots, known as soon as the CA is imported
  # (so the peer need not wait for the MSP import to be checked).
  msp_root_certs = blockchain_ca_import.this[0].ca_root_certs
  require_admin  = true
}

# ---- The MSP: defined at home from the CA (step 1.3), imported elsewhere (step 3.2) ----

resource "blockchain_msp" "this" {
  count        = local.is_home ? 1 : 0
  display_name = "${var.org_name} MSP"
  msp_id       = var.msp_id
  api_url      = local.ca.api_url
  ca_name      = local.ca.ca_name
  tlsca_name   = local.ca.tlsca_name
  tls_cert     = local.ca.tls_cert
  admins       = [blockchain_enrolled_identity.org_admin[0].certificate]
  tags         = local.tags
}

resource "blockchain_msp_import" "this" {
  count       = local.is_home ? 0 : 1
  export_json = var.home_msp_export_json
  tags        = local.tags
}

# ---- This region's peer identity (steps 1.2 and 4.1) and peer (steps 1.4 and 4.2) ----

# The peer's identity, registered at both CAs (its enrollment and its TLS certificate); the CA
# generates the secrets, which Terraform keeps (sensitive) to hand to the peer's enrollment.
resource "blockchain_ca_identity" "peer" {
  for_each  = toset(["ca", "tlsca"])
  api_url   = local.ca.api_url
  ca_name   = each.key == "ca" ? local.ca.ca_name : local.ca.tlsca_name
  tls_cert  = local.ca.tls_cert
  enroll_id = "${local.slug}-${lower(var.region)}-peer1"
  type      = "peer"
  registrar {
    certificate = blockchain_enrolled_identity.ca_admin[each.key].certificate
    private_key = blockchain_enrolled_identity.ca_admin[each.key].private_key
  }
}

resource "blockchain_peer" "this" {
  count        = var.create_peer ? 1 : 0
  display_name = "${var.org_name} Peer ${var.region}"
  msp_id       = var.msp_id

  enrollment {
    ca_api_url        = local.ca.api_url
    ca_name           = local.ca.ca_name
    tlsca_name        = local.ca.tlsca_name
    ca_tls_cert       = local.ca.tls_cert
    enroll_id         = blockchain_ca_identity.peer["ca"].enroll_id
    enroll_secret     = blockchain_ca_identity.peer["ca"].enroll_secret
    tls_enroll_id     = blockchain_ca_identity.peer["tlsca"].enroll_id
    tls_enroll_secret = blockchain_ca_identity.peer["tlsca"].enroll_secret
  }
  admin_certs = [local.admin_certificate]

  state_db      = var.peer.state_db
  zone          = var.peer.zone
  storage_size  = var.peer.storage_size
  peer_requests = var.peer.peer_requests
  tags          = local.tags
}

# ---- Every peer in every console; the ordering service ("to maximize HA", step 1's import) ----

resource "blockchain_peer_import" "other" {
  for_each    = var.other_peers
  export_json = each.value
  tags        = concat(local.tags, [lower(each.key)])
}

resource "blockchain_ordering_service_import" "this" {
  count       = var.ordering_service_export_json == null ? 0 : 1
  export_json = var.ordering_service_export_json
  tags        = local.tags
}

# ---- Where the channel and smart-contract resources go ----
# Join this region's peer to the channel and make it an anchor peer (step 4.3/4.5), then install
# the smart contract (step 4.4), e.g.:
#   resource "blockchain_channel_join" "this" { peer = blockchain_peer.this[0].id ... }
#   resource "blockchain_anchor_peer" "this"  { ... }

variable "region" {
  description = "Short name of the region, used in display names and enroll ids (e.g. `region1`)."
  type        = string
}

variable "org_name" {
  description = "The organization's name as its tiles show it, e.g. `Org1`."
  type        = string
}

variable "msp_id" {
  description = "The organization's MSP id, e.g. `Org1MSP`."
  type        = string
}

variable "ca_admin" {
  description = "Enroll id and secret of the CA administrator (and TLS CA administrator): set when region 1 creates the CA, needed again when another region imports it."
  type = object({
    enroll_id     = string
    enroll_secret = string
  })
  sensitive = true
}

variable "org_admin_secret" {
  description = "Enroll secret of the organization's admin identity (registered and enrolled in the home region only)."
  type        = string
  sensitive   = true
  default     = null
}

variable "home" {
  description = "True in the home region, which creates the CA, the admin identity and the MSP; false elsewhere, where they are imported from the home region's exports below."
  type        = bool
  default     = true
}

# The home region's exports (the seed's step 2, as attribute references instead of downloaded
# files), one variable each: a resource waits only for the export it reads, so region 2's CA
# import does not wait for region 1's MSP.
variable "home_ca_export_json" {
  description = "The home region CA's `export_json` (when `home` is false)."
  type        = string
  default     = null
}

variable "home_msp_export_json" {
  description = "The home region MSP's `export_json` (when `home` is false)."
  type        = string
  default     = null
}

variable "home_admin_identity_json" {
  description = "The organization admin's wallet export from the home region (when `home` is false)."
  type        = string
  default     = null
  sensitive   = true
}

variable "create_peer" {
  description = "Whether this region runs a peer of the organization (its identity is registered either way)."
  type        = bool
  default     = true
}

variable "other_peers" {
  description = "The peers of the other regions to import into this console (region name => the peer's `export_json`): every peer in every console."
  type        = map(string)
  default     = {}
}

variable "ordering_service_export_json" {
  description = "The ordering service as its organization exports it (JSON), imported into this console; null for none."
  type        = string
  default     = null
}

variable "peer" {
  description = "Sizing and placement of this region's peer."
  type = object({
    zone          = optional(string)
    state_db      = optional(string, "couchdb")
    storage_size  = optional(string)
    peer_requests = optional(map(string))
  })
  default = {}
}

variable "tags" {
  description = "Console tags on everything this module creates."
  type        = list(string)
  default     = []
}

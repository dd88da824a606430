variable "consoles" {
  description = "The three regions' consoles: URL and API key/secret of each (keys region1, region2, region3)."
  type = map(object({
    url        = string
    api_key    = string
    api_secret = string
  }))
  sensitive = true
}

variable "org_name" {
  description = "The organization's name on its tiles."
  type        = string
  default     = "Org1"
}

variable "msp_id" {
  description = "The organization's MSP id."
  type        = string
  default     = "Org1MSP"
}

variable "ca_admin" {
  description = "The CA administrator's (and TLS CA administrator's) enroll id and secret."
  type = object({
    enroll_id     = string
    enroll_secret = string
  })
  sensitive = true
}

variable "org_admin_secret" {
  description = "Enroll secret of the organization's admin identity."
  type        = string
  sensitive   = true
}

variable "ordering_service_export_json" {
  description = "The ordering service's export, as its organization hands it over (e.g. `file(\"ordering-service.json\")`); null to import none yet."
  type        = string
  default     = null
}

variable "peer" {
  description = "Sizing and placement of every region's peer."
  type = object({
    zone          = optional(string)
    state_db      = optional(string, "couchdb")
    storage_size  = optional(string)
    peer_requests = optional(map(string))
  })
  default = {}
}

variable "tags" {
  description = "Console tags on everything the example creates."
  type        = list(string)
  default     = ["org1"]
}

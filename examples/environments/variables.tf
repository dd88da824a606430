variable "environment" {
  description = "Name of the environment (lowercase), e.g. `staging`."
  type        = string
}

variable "consoles" {
  description = "The environment's two consoles."
  type = object({
    primary   = object({ url = string, api_key = string, api_secret = string })
    secondary = object({ url = string, api_key = string, api_secret = string })
  })
  sensitive = true
}

variable "org_name" {
  description = "The organization's name on its tiles."
  type        = string
}

variable "msp_id" {
  description = "The organization's MSP id."
  type        = string
}

variable "ca_admin" {
  description = "The CA administrator's enroll id and secret."
  type        = object({ enroll_id = string, enroll_secret = string })
  sensitive   = true
}

variable "org_admin_secret" {
  description = "Enroll secret of the organization's admin identity."
  type        = string
  sensitive   = true
}

variable "peer" {
  description = "Sizing of the environment's peers."
  type = object({
    zone          = optional(string)
    state_db      = optional(string, "couchdb")
    storage_size  = optional(string)
    peer_requests = optional(map(string))
  })
  default = {}
}

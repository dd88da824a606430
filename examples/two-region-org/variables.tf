variable "consoles" {
  description = "The two regions' consoles: URL and API key/secret of each (keys region1, region2)."
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

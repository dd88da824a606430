variable "region1_api_key" { type = string }
variable "region1_api_secret" {
  type      = string
  sensitive = true
}
variable "region2_api_key" { type = string }
variable "region2_api_secret" {
  type      = string
  sensitive = true
}
variable "org1_ca_admin_secret" {
  type      = string
  sensitive = true
}
variable "org1_admin_cert_pem" {
  type        = string
  description = "PEM certificate of Org1's administrator (e.g. a blockchain_enrolled_identity's certificate)."
}
variable "org2_msp_export_json" {
  type        = string
  description = "Org2's MSP export from its console (the JSON its export button writes)."
}

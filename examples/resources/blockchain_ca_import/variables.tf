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
variable "org2_ca_admin_secret" {
  type      = string
  sensitive = true
}
variable "org2_tlsca_admin_secret" {
  type      = string
  sensitive = true
}
variable "org2_ca_root_pem" { type = string }
variable "org2_tlsca_root_pem" { type = string }
variable "org2_ca_tls_cert_pem" { type = string }

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
variable "region2_peer0_export_json" {
  type        = string
  description = "Region 2's peer export (the JSON its console's export button writes)."
}
variable "peer1_tls_cert_pem" {
  type        = string
  description = "PEM TLS certificate of region 1's peer1."
}
variable "org1_tlsca_root_pem" {
  type        = string
  description = "PEM root certificate of Org1's TLS CA."
}

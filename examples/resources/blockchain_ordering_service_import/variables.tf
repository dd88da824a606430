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
variable "ordering_service_export_json" {
  type        = string
  description = "The ordering service's export: the JSON its console's export button writes (e.g. file(\"Ordering Service_orderer.json\"))."
}

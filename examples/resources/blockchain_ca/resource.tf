resource "blockchain_ca" "org1" {
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret # write-only: never stored in state

  version           = "1.5.5-0"
  zone              = "us-east-1"
  resource_requests = { cpu = "100m", memory = "200Mi" }
  storage_size      = "20Gi"
  tags              = ["org1"]

  timeouts {
    create = "20m"
  }
}

variable "ca_admin_secret" {
  type      = string
  sensitive = true
}

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

# Several replicas share one PostgreSQL database per CA. `tlsca` would take `ca`'s settings if
# it were left out; here each CA has its own database.
resource "blockchain_ca" "org2" {
  display_name        = "Org2 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.ca_admin_secret
  replicas            = 2

  config_override = jsonencode({
    ca = {
      db = {
        type       = "postgres"
        datasource = "host=pg.example.org port=5432 user=org2 password=${var.ca_db_password} dbname=org2ca sslmode=verify-full"
      }
      cfg          = { identities = { passwordattempts = 5 } }
      affiliations = { org2 = ["department1"] }
    }
    tlsca = {
      db = {
        type       = "postgres"
        datasource = "host=pg.example.org port=5432 user=org2 password=${var.ca_db_password} dbname=org2tlsca sslmode=verify-full"
      }
    }
  })
}

variable "ca_admin_secret" {
  type      = string
  sensitive = true
}

variable "ca_db_password" {
  type      = string
  sensitive = true
}

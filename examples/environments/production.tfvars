environment = "production"
org_name    = "Org1"
msp_id      = "Org1MSP"
peer = {
  state_db      = "couchdb"
  storage_size  = "200Gi"
  zone          = "us-east-1a"
  peer_requests = { cpu = "1", memory = "2Gi" }
}
# consoles, ca_admin and org_admin_secret come from TF_VAR_* in the pipeline, never from a file.

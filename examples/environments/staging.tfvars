environment = "staging"
org_name    = "Org1 Staging"
msp_id      = "Org1StagingMSP"
peer = {
  state_db      = "leveldb"
  storage_size  = "10Gi"
  peer_requests = { cpu = "100m", memory = "256Mi" }
}
# consoles, ca_admin and org_admin_secret come from TF_VAR_* in the pipeline, never from a file.

# Import by the console's component id of the CA record (GET /ak/api/v3/components lists them).
# The admin credentials of an imported record are not known and never checked (they are checked
# only when this resource creates the record); export_json is an input the console does not
# keep, so the first plan after the import only records it in the state.
terraform import blockchain_ca_import.org1 org1ca

# Import by the console's component id of the peer record (GET /ak/api/v3/components lists them).
# export_json is an input the console does not keep: after an import that uses it, the first
# plan records it in the state without changing anything on the console.
terraform import blockchain_peer_import.peer0_in_region1 peer0org1

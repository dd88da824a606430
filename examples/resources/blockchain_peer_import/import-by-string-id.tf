import {
  to = blockchain_peer_import.peer0_in_region1
  id = "peer0org1"
}

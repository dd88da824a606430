import {
  to = blockchain_peer.org1_peer0
  id = "org1peer0"
}

import {
  to = blockchain_ca_identity.org1peer0
  id = "https://org1ca-ca.example.org:443|ca|org1peer0"
}

import {
  to = blockchain_ca.org1
  id = "org1ca"
}

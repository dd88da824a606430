import {
  to = blockchain_ca_import.org1
  id = "org1ca"
}

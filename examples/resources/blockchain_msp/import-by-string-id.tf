import {
  to = blockchain_msp.org1
  id = "org1msp"
}

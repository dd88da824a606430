import {
  to = blockchain_msp_import.org1
  id = "org1msp"
}

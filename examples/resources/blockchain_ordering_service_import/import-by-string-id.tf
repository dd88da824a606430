import {
  to = blockchain_ordering_service_import.os_region1
  id = "raftcluster1"
}

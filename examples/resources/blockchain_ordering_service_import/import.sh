# Import by the ordering service's cluster id on this console (its nodes' `cluster_id`), or by
# the component id of any of its nodes, which brings the whole cluster.
# export_json is an input the console does not keep: after an import that uses it, the first
# plan records it in the state without changing anything on the console.
terraform import blockchain_ordering_service_import.os_region1 raftcluster1

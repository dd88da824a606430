# Import by `<ca api_url>|<ca_name>|<enroll id>`. The registrar and the enroll secret
# cannot be read from the CA: the configuration supplies the registrar (the first apply
# after the import reads the identity with it and changes nothing the CA already has),
# and the enroll secret stays null, meaning the CA keeps its own.
terraform import blockchain_ca_identity.org1peer0 'https://org1ca-ca.example.org:443|ca|org1peer0'

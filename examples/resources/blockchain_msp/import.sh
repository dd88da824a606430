# Import by the console's component id of the MSP record (GET /ak/api/v3/components lists them).
# Where the CA is (api_url, tls_cert) is not part of the record: the first plan after the import
# records it from the configuration, and changes nothing on the console when the CA's chains
# match the record.
terraform import blockchain_msp.org1 org1msp

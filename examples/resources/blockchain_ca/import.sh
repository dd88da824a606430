# Import by the console's component id (GET /ak/api/v3/components lists them).
# admin_enroll_id and admin_enroll_secret are write-only and cannot be read back:
# keep them in the configuration as they were.
terraform import blockchain_ca.org1 org1ca

# Import by the console's component id (GET /ak/api/v3/components lists them).
# The enrollment (or msp) block is write-only and never read back: an imported peer needs
# neither, and keeping the one it was created with in the configuration changes nothing.
terraform import blockchain_peer.org1_peer0 org1peer0

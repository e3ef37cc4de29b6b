/** Names of common chain ids, so messages say "chain 1 (Ethereum mainnet)" rather than a bare number. */
const CHAIN_NAMES: Readonly<Record<number, string>> = {
  1: "Ethereum mainnet",
  10: "OP Mainnet",
  100: "Gnosis",
  137: "Polygon",
  8453: "Base",
  42161: "Arbitrum One",
  11155111: "Sepolia",
  17000: "Holesky",
  31337: "a Hardhat or Anvil devnet",
  1337: "a local devnet",
};

export const chainName = (id: number): string => (CHAIN_NAMES[id] ? `chain ${id} (${CHAIN_NAMES[id]})` : `chain ${id}`);

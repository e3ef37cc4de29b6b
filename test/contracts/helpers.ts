/**
 * Test helpers shared by the contract tests: ERC-2612 permits (domain read from the token with
 * ERC-5267) and revert-with-custom-error shorthands. Not a test file itself.
 */
import hre from "hardhat";
import { Signature, type Signer } from "ethers";
import { readDomain, type Eip712Contract } from "../../oracle/chain/typed-data";

/** A token that supports ERC-2612 permits and ERC-5267. */
export interface PermitToken extends Eip712Contract {
  getAddress(): Promise<string>;
  nonces(owner: string): Promise<bigint>;
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** An ERC-2612 permit of `value` from `owner` to `spender`, signed by `signer` (default: owner). */
export async function signPermit(
  token: PermitToken,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
  signer: Signer = owner,
): Promise<{ v: number; r: string; s: string; deadline: bigint; value: bigint }> {
  const ownerAddress = await owner.getAddress();
  const nonce = await token.nonces(ownerAddress);
  const sig = Signature.from(
    await signer.signTypedData(await readDomain(token), PERMIT_TYPES, {
      owner: ownerAddress,
      spender,
      value,
      nonce,
      deadline,
    }),
  );
  return { v: sig.v, r: sig.r, s: sig.s, deadline, value };
}

/**
 * Skips the running test under `hardhat coverage`, saying so: the code there is instrumented and
 * unoptimised, so its size and gas are not the deployed code's.
 */
export function skipUnderCoverage(test: Mocha.Context, what: string): void {
  if ((hre as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING !== true) return;
  console.log(`      (skipped under coverage: ${what} of instrumented code)`);
  test.skip();
}

/**
 * Helpers shared by the unit tests (market, oracle, tokens): balance ledgers that check money is
 * neither lost nor created, the oracle's report hash and EIP-712 signatures, and ERC-2612 permits.
 * Not a test file itself (it declares no tests).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import type { IGridOracle } from "../../typechain-types";

/** Anything with an address (a signer or a contract). */
export interface Holder {
  getAddress(): Promise<string>;
}

/** The part of an ERC-20 the ledger reads. */
export interface BalanceToken {
  balanceOf(account: string): Promise<bigint>;
  totalSupply(): Promise<bigint>;
}

export type Balances = Record<string, bigint>;
export interface Ledger {
  usd: Balances;
  kwh: Balances;
  supply: { usd: bigint; kwh: bigint };
}

/** Reads the USD and kWh balance of every named holder and both total supplies. */
export async function ledger(
  tokens: { usd: BalanceToken; kwh: BalanceToken },
  holders: Record<string, Holder>,
): Promise<Ledger> {
  const usd: Balances = {};
  const kwh: Balances = {};
  for (const [name, holder] of Object.entries(holders)) {
    const address = await holder.getAddress();
    usd[name] = await tokens.usd.balanceOf(address);
    kwh[name] = await tokens.kwh.balanceOf(address);
  }
  return { usd, kwh, supply: { usd: await tokens.usd.totalSupply(), kwh: await tokens.kwh.totalSupply() } };
}

function deltas(before: Balances, after: Balances): Balances {
  const out: Balances = {};
  for (const name of Object.keys(before)) out[name] = after[name] - before[name];
  return out;
}

/**
 * Asserts that, between two ledgers, each holder's balance moved by exactly the given amount
 * (unnamed holders: not at all), that the moves sum to zero and that neither supply changed —
 * nothing lost, nothing created.
 */
export function expectMoved(before: Ledger, after: Ledger, moved: { usd?: Balances; kwh?: Balances }): void {
  for (const token of ["usd", "kwh"] as const) {
    const expected: Balances = {};
    for (const name of Object.keys(before[token])) expected[name] = moved[token]?.[name] ?? 0n;
    for (const name of Object.keys(moved[token] ?? {})) {
      expect(before[token], `${token}: unknown holder ${name}`).to.have.property(name);
    }
    const actual = deltas(before[token], after[token]);
    expect(actual, `${token} balance changes`).to.deep.equal(expected);
    expect(
      Object.values(actual).reduce((a, b) => a + b, 0n),
      `${token} moves sum to zero`,
    ).to.equal(0n);
    expect(after.supply[token], `${token} total supply`).to.equal(before.supply[token]);
  }
}

const REPORT_TUPLE =
  "tuple(uint32 period, bytes32 inputHash, " +
  "tuple(uint32 line, int64 flowW, uint64 limitW, uint64 deviationW)[] violations, " +
  "tuple(uint32 node, int64 usdPerMWh)[] prices, " +
  "tuple(uint32 period, address generator, int64 adjustmentWh)[] deliveries)";

/** keccak256(abi.encode(report)), computed off-chain. */
export function reportHash(report: IGridOracle.ReportStruct): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode([REPORT_TUPLE], [report]));
}

export const REPORT_TYPES = {
  Report: [
    { name: "period", type: "uint32" },
    { name: "reportHash", type: "bytes32" },
  ],
};

/** The oracle's EIP-712 domain, spelled out from the contract's constructor (not read from it). */
export async function oracleDomain(oracle: Holder): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return { name: "GridSwap GridOracle", version: "1", chainId, verifyingContract: await oracle.getAddress() };
}

/** `signers`' EIP-712 signatures of `report`, in the given order. */
export async function signReport(
  oracle: Holder,
  report: IGridOracle.ReportStruct,
  signers: Signer[],
): Promise<string[]> {
  const domain = await oracleDomain(oracle);
  const value = { period: report.period, reportHash: reportHash(report) };
  const out: string[] = [];
  for (const s of signers) out.push(await s.signTypedData(domain, REPORT_TYPES, value));
  return out;
}

/** Sorts signers by ascending address (the order submitReport requires). */
export async function ascending<T extends Signer>(signers: T[]): Promise<T[]> {
  const keyed = await Promise.all(signers.map(async (s) => ({ s, a: BigInt(await s.getAddress()) })));
  return keyed.sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0)).map((k) => k.s);
}

/** A token that supports ERC-2612 permits. */
export interface PermitToken extends Holder {
  name(): Promise<string>;
  nonces(owner: string): Promise<bigint>;
}

/** An ERC-2612 permit of `value` from `owner` to `spender`, signed by `signer` (default: owner). */
export async function signPermit(
  token: PermitToken,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
  signer: Signer = owner,
): Promise<{ v: number; r: string; s: string; deadline: bigint; value: bigint }> {
  const { chainId } = await ethers.provider.getNetwork();
  const ownerAddress = await owner.getAddress();
  const domain: TypedDataDomain = {
    name: await token.name(),
    version: "1",
    chainId,
    verifyingContract: await token.getAddress(),
  };
  const types = {
    Permit: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  };
  const nonce = await token.nonces(ownerAddress);
  const sig = ethers.Signature.from(
    await signer.signTypedData(domain, types, { owner: ownerAddress, spender, value, nonce, deadline }),
  );
  return { v: sig.v, r: sig.r, s: sig.s, deadline, value };
}

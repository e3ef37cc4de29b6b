/**
 * Topping up an agent's free balance in the market's vault from its wallet: the centre's USD
 * before it posts offers, a generator's kWh commitment before it fills. Approve and deposit are
 * each guarded (sendGuarded re-reads the balance first), so a retry or restart never deposits twice.
 */
import type { Signer, TransactionRequest } from "ethers";
import type { GridSwapContracts } from "../chain/deploy";
import { Asset } from "../chain/enums";
import type { SendOptions, SendResult } from "../chain/tx";

export interface TopUp {
  readonly contracts: GridSwapContracts;
  readonly owner: Signer;
  readonly asset: (typeof Asset)[keyof typeof Asset];
  /** The free balance wanted, in the asset's units (1e-8 USD, Wh). */
  readonly needed: bigint;
  readonly send: (
    signer: Signer,
    build: () => Promise<TransactionRequest>,
    options: SendOptions,
  ) => Promise<SendResult>;
  readonly retry: SendOptions["retry"];
}

/** What a top-up did: deposited this much, or could not (the wallet holds too little), and the amounts. */
export type TopUpResult =
  | { readonly ok: true; readonly deposited: bigint }
  | { readonly ok: false; readonly inVault: bigint; readonly inWallet: bigint };

/** Makes the owner's free balance of `asset` in the vault at least `needed`, depositing from its wallet. */
export async function topUpVault(t: TopUp): Promise<TopUpResult> {
  const { market } = t.contracts;
  const token = t.asset === Asset.Usd ? t.contracts.usd : t.contracts.kwh;
  const name = t.asset === Asset.Usd ? "USD" : "kWh";
  const owner = await t.owner.getAddress();
  const free = async (): Promise<bigint> => (await market.balancesOf(owner))[t.asset === Asset.Usd ? 0 : 1];
  const have = await free();
  if (have >= t.needed) return { ok: true, deposited: 0n };
  const missing = t.needed - have;
  const wallet = await token.balanceOf(owner);
  if (wallet < missing) return { ok: false, inVault: have, inWallet: wallet };
  const marketAddress = await market.getAddress();
  await t.send(t.owner, () => token.connect(t.owner).approve.populateTransaction(marketAddress, missing), {
    label: `approve ${name} for the vault`,
    isDone: async () => (await free()) >= t.needed || (await token.allowance(owner, marketAddress)) >= missing,
    retry: t.retry,
  });
  await t.send(t.owner, () => market.connect(t.owner).deposit.populateTransaction(t.asset, missing), {
    label: `deposit ${name} into the vault`,
    isDone: async () => (await free()) >= t.needed,
    retry: t.retry,
  });
  return { ok: true, deposited: missing };
}

/**
 * Errors in words a generator or an operator reads: a rejected signature, a wallet on another
 * chain, an unreachable node, and the market's and oracle's custom errors (decoded once, by
 * oracle/chain/errors.ts, with every GridSwap ABI) explained.
 */
import { decodeRevert, describeChainError, formatCall } from "../../oracle/chain/errors";
import { kwh, usd } from "./format";

const EXPLAIN: Record<string, (args: readonly unknown[]) => string> = {
  OfferNotOpen: () => "This offer is no longer open: it was filled, cancelled or its fill window has closed.",
  FillBelowMinimum: (a) =>
    `This fill would take ${kwh(a[0] as bigint)}, less than the offer's minimum fill of ${kwh(a[1] as bigint)}: ask for more.`,
  PaymentRoundsToZero: (a) => `A fill of ${kwh(a[1] as bigint)} is too small to be paid anything: ask for more.`,
  InvalidNomination: (a) =>
    BigInt(a[1] as bigint) === 0n
      ? "This offer is not measured against a nomination: send none (0)."
      : `Your nomination must be between 0 and ${kwh(a[1] as bigint)} (your registered capacity over one period).`,
  NominationConflict: (a) =>
    `Your book for period ${a[1]} holds the nomination ${kwh(a[2] as bigint)}, fixed by its first fill: fill with the same one.`,
  DirectionConflict: (a) =>
    `You already committed to ${Number(a[2]) === 0 ? "raise" : "lower"} output in period ${a[1]}: one direction per period.`,
  CentreConflict: (a) => `You already committed to another centre (${a[2]}) in period ${a[1]}: one centre per period.`,
  BaselineConflict: (a) =>
    `Your book for period ${a[1]} is measured against another baseline: one baseline per period.`,
  NotOfferGenerator: () => "This offer is reserved for another generator.",
  GeneratorNotAtNode: (a) =>
    Number(a[2]) === 0
      ? "This wallet is not a registered generator: ask the registrar to register it at its node."
      : `This offer is for node ${a[1]}; your generator is registered at node ${a[2]}.`,
  InsufficientBalance: (a) =>
    Number(a[1]) === 1
      ? `Not enough free kWh in the market's vault: ${kwh(a[2] as bigint)} free, ${kwh(a[3] as bigint)} needed. Deposit kWh first.`
      : `Not enough free USD in the vault: ${usd(a[2] as bigint)} free, ${usd(a[3] as bigint)} needed.`,
  ERC20InsufficientBalance: () => "The wallet does not hold enough tokens for this.",
  ERC20InsufficientAllowance: () => "The market is not allowed to move that many tokens: approve them first.",
  ZeroAmount: () => "The amount must be more than zero.",
  ZeroRecipient: () => "The recipient address must not be zero.",
};

/** One plain sentence (or two) for any failure of a wallet or chain action. */
export function explain(error: unknown): string {
  const e = error as { code?: unknown; info?: { error?: { code?: unknown } }; error?: { code?: unknown } };
  if (e?.code === "ACTION_REJECTED" || e?.code === 4001 || e?.info?.error?.code === 4001 || e?.error?.code === 4001) {
    return "You rejected the request in your wallet; nothing was signed or sent.";
  }
  const revert = decodeRevert(error);
  if (revert) {
    const why = EXPLAIN[revert.errorName]?.(revert.args);
    const call = formatCall(revert.errorName, revert.args);
    return why ? `${why} (the contract said ${call})` : `The contract refused: ${call}.`;
  }
  const text = describeChainError(error);
  if (/cannot be reached|failed to fetch|NetworkError|502/i.test(text)) {
    return `The chain cannot be reached right now (${text}).`;
  }
  return text;
}

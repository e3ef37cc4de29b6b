/**
 * The one guarded way GridSwap sends a transaction and waits for it.
 *
 * - Idempotent by construction: `isDone` re-reads chain state before every (re)send, so a retry
 *   after a lost answer, a restart or a second process with the same key never acts twice.
 * - A wallet's transaction is signed locally once and re-broadcast unchanged (same nonce, same
 *   hash) when the node's answer is lost; the receipt is then looked up by that hash.
 * - Receipts are polled here, with transport failures retried, instead of `tx.wait()` (whose
 *   polling can reject where nothing catches it).
 * - A mined revert is replayed as a call to decode its custom error (a RevertError).
 */
import { keccak256, type Provider, type Signer, type TransactionReceipt, type TransactionRequest } from "ethers";
import { ConfigurationError, decodeRevert, RevertError, TransportError } from "./errors";
import { sleep, withRetry, type RetryOptions } from "./retry";

export interface SendOptions {
  /** What the transaction does, for logs and errors ("report period 991"). */
  readonly label: string;
  /** True when what the transaction would do is already on chain (checked before every send). */
  readonly isDone?: () => Promise<boolean>;
  readonly retry?: RetryOptions;
  /** How long to wait for a receipt before re-checking and re-broadcasting, ms (default 60 s). */
  readonly receiptTimeoutMs?: number;
  /** Receipt polling interval, ms (default 250). */
  readonly pollMs?: number;
}

export interface SendResult {
  /** "mined": this call's transaction; "already-done": `isDone` said so before sending. */
  readonly status: "mined" | "already-done";
  readonly receipt?: TransactionReceipt;
}

/** A mined transaction, for logs, summaries and gas accounting. */
export interface TxRecord {
  readonly label: string;
  readonly hash: string;
  readonly gasUsed: bigint;
}

/** The record of a send, or undefined when nothing was sent (already done). */
export function txRecord(label: string, result: SendResult): TxRecord | undefined {
  return result.receipt ? { label, hash: result.receipt.hash, gasUsed: result.receipt.gasUsed } : undefined;
}

interface LocalSigner extends Signer {
  signTransaction(tx: TransactionRequest): Promise<string>;
}

/** A wallet holding its key (ethers Wallet): it can sign without sending. */
function localSigner(s: Signer): LocalSigner | undefined {
  const hasKey = typeof (s as { signingKey?: unknown }).signingKey === "object";
  return hasKey && typeof (s as LocalSigner).signTransaction === "function" ? (s as LocalSigner) : undefined;
}

/** Sends the transaction `build` returns, waits for its receipt and returns it (see the file header). */
export async function sendGuarded(
  signer: Signer,
  build: () => Promise<TransactionRequest>,
  options: SendOptions,
): Promise<SendResult> {
  const provider = signer.provider;
  if (!provider) throw new ConfigurationError(`${options.label}: the signer has no provider`);
  const retry = { ...options.retry, log: options.retry?.log };
  // A transaction signed in an earlier attempt whose broadcast may have reached the node.
  let signed: { raw: string; hash: string; request: TransactionRequest } | undefined;
  return withRetry(
    options.label,
    async (): Promise<SendResult> => {
      if (options.isDone && (await options.isDone())) return { status: "already-done" };
      let hash: string;
      let request: TransactionRequest;
      const wallet = localSigner(signer);
      if (wallet) {
        if (!signed || (await nonceUsedByAnother(provider, signed))) {
          request = await wallet.populateTransaction(await build());
          const raw = await wallet.signTransaction(request);
          signed = { raw, hash: keccak256(raw), request };
        }
        ({ hash, request } = signed);
        await broadcast(provider, signed.raw);
      } else {
        request = await build();
        hash = (await signer.sendTransaction(request)).hash;
      }
      const receipt = await waitForReceipt(provider, hash, options);
      if (!receipt) {
        throw new TransportError(
          `${options.label}: transaction ${hash} not mined within ${receiptTimeout(options)} ms`,
        );
      }
      signed = undefined;
      if (receipt.status !== 1) throw await replayRevert(provider, request, receipt, options.label);
      return { status: "mined", receipt };
    },
    retry,
  );
}

const receiptTimeout = (o: SendOptions): number => o.receiptTimeoutMs ?? 60_000;

/** Sends `raw`; "already known" and "nonce too low" mean the node has it (or mined it): not errors. */
async function broadcast(provider: Provider, raw: string): Promise<void> {
  try {
    await provider.broadcastTransaction(raw);
  } catch (e) {
    const text = `${(e as { shortMessage?: string }).shortMessage ?? ""} ${(e as Error).message ?? ""}`;
    if (/already known|known transaction|already imported|nonce too low|nonce has already been used/i.test(text))
      return;
    throw e;
  }
}

/** True when the nonce of our signed transaction was taken by a different transaction. */
async function nonceUsedByAnother(
  provider: Provider,
  signed: { hash: string; request: TransactionRequest },
): Promise<boolean> {
  const from = String(signed.request.from);
  const mined = await provider.getTransactionCount(from, "latest");
  if (mined <= Number(signed.request.nonce)) return false;
  return (await provider.getTransactionReceipt(signed.hash)) === null;
}

/** Polls for the receipt of `hash`; transport failures while polling are retried until the timeout. */
async function waitForReceipt(provider: Provider, hash: string, o: SendOptions): Promise<TransactionReceipt | null> {
  const deadline = Date.now() + receiptTimeout(o);
  for (;;) {
    try {
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
    } catch (e) {
      if (!(e instanceof Error) || !isRetryableWhilePolling(e)) throw e;
    }
    if (Date.now() >= deadline || o.retry?.signal?.aborted) return null;
    await sleep(o.pollMs ?? 250, o.retry?.signal);
  }
}

function isRetryableWhilePolling(e: Error): boolean {
  // Polling only reads: anything but a decoded revert is worth another look.
  return !(e instanceof RevertError);
}

/** The custom error a mined, failed transaction reverted with, found by replaying it at its block. */
async function replayRevert(
  provider: Provider,
  request: TransactionRequest,
  receipt: TransactionReceipt,
  label: string,
): Promise<RevertError> {
  const undecoded = (why: string, cause?: unknown): RevertError =>
    new RevertError("", [], undefined, undefined, {
      cause,
      message: `${label}: transaction ${receipt.hash} reverted${why}`,
    });
  try {
    await provider.call({ ...request, blockTag: receipt.blockNumber - 1 });
  } catch (e) {
    const revert = decodeRevert(e);
    if (revert) return new RevertError(revert.errorName, revert.args, revert.selector, revert.data, { cause: e });
    return undecoded(`: ${(e as Error).message.split("\n")[0]}`, e);
  }
  return undecoded(" (replay gave no reason)");
}

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
 * - With a journal (the agent's state file), the signed transaction is written down before it is
 *   broadcast: a process restarted while it was pending finds it there and waits for it or
 *   re-broadcasts it unchanged — never signs a second one blind. One transaction is in flight per
 *   key at a time; a nonce taken by a transaction that is not in the journal means another process
 *   sends with this key (KeyInUseError), and nothing is signed over it.
 */
import {
  keccak256,
  Transaction,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
} from "ethers";
import { ConfigurationError, decodeRevert, KeyInUseError, RevertError, TransportError } from "./errors";
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
  /** Where the signed transaction is written down before it is broadcast (see the file header). */
  readonly journal?: SendJournal;
  /** What the transaction is for, to know it again in the journal (default: the label). */
  readonly intent?: string;
  /** Called after each broadcast, before the receipt (fault tests crash here: a pending transaction). */
  readonly afterBroadcast?: () => void;
}

/** A signed transaction written down before its broadcast. */
export interface InFlightTx {
  readonly intent: string;
  readonly label: string;
  readonly from: string;
  readonly nonce: number;
  readonly hash: string;
  readonly raw: string;
}

/** A durable place for the one transaction in flight (the agent's state file, synced to disk). */
export interface SendJournal {
  get(): InFlightTx | undefined;
  set(tx: InFlightTx | undefined): void;
  /**
   * The key is this process's alone (a standalone agent): a nonce it did not use — pending, or
   * mined since its last transaction — means another process sends with it (KeyInUseError).
   * Off where other code in the same process shares the wallet (the demo, simulations).
   */
  readonly exclusive?: boolean;
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
  const journal = options.journal;
  const intent = options.intent ?? options.label;
  const wallet = localSigner(signer);
  // A transaction signed in an earlier attempt (or process) whose broadcast may have reached the node.
  let signed: Signed | undefined;
  if (wallet && journal) {
    const earlier = journal.get();
    if (earlier && earlier.intent !== intent) await awaitInFlight(provider, journal, options);
    else if (earlier) signed = fromJournal(earlier);
  }
  return withRetry(
    options.label,
    async (): Promise<SendResult> => {
      if (signed && (await provider.getTransactionReceipt(signed.hash)) === null) {
        // Ours is not mined: its nonce free means it may still be; taken means another key holder.
        if (await nonceTaken(provider, signed)) {
          const lost = signed;
          journal?.set(undefined);
          signed = undefined;
          throw keyInUse(options.label, lost);
        }
      } else if (!signed && options.isDone && (await options.isDone())) return { status: "already-done" };
      let hash: string;
      let request: TransactionRequest;
      if (wallet) {
        if (!signed) {
          request = await wallet.populateTransaction(await build());
          if (journal?.exclusive) {
            await checkNoForeignPending(provider, String(request.from), Number(request.nonce), options.label);
            checkNoForeignMined(journal, String(request.from), Number(request.nonce), options.label);
          }
          const raw = await wallet.signTransaction(request);
          signed = { raw, hash: keccak256(raw), request };
          journal?.set({
            intent,
            label: options.label,
            from: String(request.from),
            nonce: Number(request.nonce),
            hash: signed.hash,
            raw,
          });
        }
        ({ hash, request } = signed);
        await broadcast(provider, signed);
        options.afterBroadcast?.();
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
      if (journal) lastMinedNonce.set(journal, Number(request.nonce));
      signed = undefined;
      journal?.set(undefined);
      if (receipt.status !== 1) throw await replayRevert(provider, request, receipt, options.label);
      return { status: "mined", receipt };
    },
    retry,
  );
}

const receiptTimeout = (o: SendOptions): number => o.receiptTimeoutMs ?? 60_000;

interface Signed {
  readonly raw: string;
  readonly hash: string;
  readonly request: TransactionRequest;
}

function fromJournal(tx: InFlightTx): Signed {
  const parsed = Transaction.from(tx.raw);
  return { raw: tx.raw, hash: tx.hash, request: { ...parsed.toJSON(), from: tx.from, nonce: tx.nonce } };
}

/**
 * Sends `signed.raw`. "Already known" means the node has it. "Nonce too low" means its nonce is
 * used: by this very transaction (mined; the receipt follows) or by another (KeyInUseError). A
 * replacement refused as underpriced means another transaction with its nonce is pending: another
 * process signs with this key.
 */
async function broadcast(provider: Provider, signed: Signed): Promise<void> {
  try {
    await provider.broadcastTransaction(signed.raw);
  } catch (e) {
    const text = `${(e as { shortMessage?: string }).shortMessage ?? ""} ${(e as Error).message ?? ""}`;
    if (/already known|known transaction|already imported/i.test(text)) return;
    if (/nonce too low|nonce has already been used|replacement (transaction )?underpriced|already exists/i.test(text)) {
      if ((await provider.getTransactionReceipt(signed.hash)) !== null) return;
      if (/underpriced|already exists/i.test(text) || (await nonceTaken(provider, signed))) {
        throw keyInUse("broadcast", signed, e);
      }
      return;
    }
    throw e;
  }
}

/** True when the nonce of a signed transaction is used on chain (by it or by another one). */
async function nonceTaken(provider: Provider, signed: Signed): Promise<boolean> {
  const mined = await provider.getTransactionCount(String(signed.request.from), "latest");
  return mined > Number(signed.request.nonce);
}

function keyInUse(label: string, signed: Signed, cause?: unknown): KeyInUseError {
  const nonce = Number(signed.request.nonce);
  return new KeyInUseError(
    `${label}: nonce ${nonce} of ${String(signed.request.from)} went to a transaction that is not mine ` +
      `(mine was ${signed.hash}): another process sends with this key`,
    nonce,
    { cause },
  );
}

/** The nonce of the last transaction mined through each journal, in this process. */
const lastMinedNonce = new WeakMap<SendJournal, number>();

/**
 * Refuses to sign at `nonce` when nonces were used since this process's last transaction that it
 * did not use: another process (on another host) sent with this key in between.
 */
function checkNoForeignMined(journal: SendJournal | undefined, from: string, nonce: number, label: string): void {
  const last = journal && lastMinedNonce.get(journal);
  if (last === undefined || nonce === last + 1) return;
  throw new KeyInUseError(
    `${label}: ${from} used nonce(s) ${last + 1}–${nonce - 1} since my last transaction (nonce ${last}), ` +
      "not I: another process sends with this key",
    last + 1,
  );
}

/**
 * Refuses to sign at `nonce` when the node holds a pending transaction of `from` this process did
 * not send (the pending count above the mined one while nothing of ours is in flight).
 */
async function checkNoForeignPending(provider: Provider, from: string, nonce: number, label: string): Promise<void> {
  const mined = await provider.getTransactionCount(from, "latest");
  if (nonce > mined) {
    throw new KeyInUseError(
      `${label}: ${from} has ${nonce - mined} pending transaction(s) this process did not send: ` +
        "another process sends with this key",
      mined,
    );
  }
}

/**
 * Waits for the transaction in flight in `journal` (from an earlier step or process) until it is
 * mined, re-broadcasting it unchanged; a revert clears it too (the caller re-reads chain state
 * before it acts). Its nonce taken by another transaction is a KeyInUseError.
 */
export async function awaitInFlight(provider: Provider, journal: SendJournal, o: SendOptions): Promise<void> {
  const tx = journal.get();
  if (!tx) return;
  const signed = fromJournal(tx);
  o.retry?.log?.(
    `waiting for my transaction in flight since an earlier step: ${tx.label} (${tx.hash}, nonce ${tx.nonce})`,
  );
  await withRetry(
    `${tx.label} (in flight since an earlier step)`,
    async () => {
      if ((await provider.getTransactionReceipt(tx.hash)) === null) {
        if (await nonceTaken(provider, signed)) {
          journal.set(undefined);
          throw keyInUse(tx.label, signed);
        }
        await broadcast(provider, signed);
        const receipt = await waitForReceipt(provider, tx.hash, o);
        if (!receipt) throw new TransportError(`${tx.label}: transaction ${tx.hash} still pending`);
      }
      journal.set(undefined);
    },
    { ...o.retry },
  );
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
  // Before its block, then after it: a transaction ahead of it in the same block (a rival's fill)
  // is in the second state only.
  for (const blockTag of [receipt.blockNumber - 1, receipt.blockNumber]) {
    try {
      await provider.call({ ...request, blockTag });
    } catch (e) {
      const revert = decodeRevert(e);
      if (revert) return new RevertError(revert.errorName, revert.args, revert.selector, revert.data, { cause: e });
      return undecoded(`: ${(e as Error).message.split("\n")[0]}`, e);
    }
  }
  return undecoded(
    ` (replayed before and after block ${receipt.blockNumber} it succeeds: ` +
      `what failed it existed only inside that block, or it ran out of gas at ${receipt.gasUsed})`,
  );
}

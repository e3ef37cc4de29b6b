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
  /** Earlier transactions with this nonce that it replaced (any of them may be mined). */
  readonly replaced?: readonly string[];
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
    if (earlier && earlier.intent !== intent) await awaitInFlight(signer, journal, options);
    else if (earlier) signed = fromJournal(earlier);
  }
  // Set when the last wait for a receipt ran out: the transaction is replaced, not sent again.
  let stuck = false;
  // What this process remembers of the key: its last nonce, transactions left below a gap.
  const memory = memoryOf(journal);
  const stale = memory.stale;
  const write = (x: Signed): void =>
    journal?.set({
      intent,
      label: options.label,
      from: String(x.request.from),
      nonce: Number(x.request.nonce),
      hash: x.hash,
      raw: x.raw,
      replaced: x.replaced,
    });
  return withRetry(
    options.label,
    async (): Promise<SendResult> => {
      let receipt: TransactionReceipt | null = null;
      if (signed) {
        receipt = await firstReceipt(provider, signed);
        // Ours is not mined: its nonce free means it may still be; taken means another key holder.
        if (!receipt && (await nonceTaken(provider, signed))) {
          const lost = signed;
          journal?.set(undefined);
          signed = undefined;
          throw keyInUse(options.label, lost);
        }
        if (!receipt && stuck && wallet) {
          stuck = false;
          const nonce = Number(signed.request.nonce);
          const mined = await provider.getTransactionCount(String(signed.request.from), "latest");
          if (mined < nonce) {
            // A gap below it: transactions before it were lost (the chain went back). It can never
            // be mined: start again from chain state, at the chain's next nonce.
            options.retry?.log?.(
              `${options.label}: nonce ${nonce} cannot be mined (the chain's next is ${mined}: it went back); ` +
                `signing again — a node that still holds it sees it replaced when nonce ${nonce} comes`,
            );
            // The node may keep it queued: when the chain reaches its nonce it would run after the
            // redone work. Whatever this key signs at that nonce outbids it (a replacement).
            stale.push({ nonce, request: signed.request });
            journal?.set(undefined);
            signed = undefined;
          } else {
            signed = await replacement(wallet, signed);
            write(signed);
            options.retry?.log?.(
              `${options.label}: not mined in ${receiptTimeout(options)} ms: replaced by ${signed.hash} ` +
                `(nonce ${nonce}, fees raised by a quarter)`,
            );
          }
        }
      }
      if (!signed && options.isDone && (await options.isDone())) return { status: "already-done" };
      let request: TransactionRequest;
      if (receipt && signed) request = signed.request;
      else if (wallet) {
        if (!signed) {
          // The next nonce is the chain's (mined) count: one transaction in flight at a time, and a
          // node's pending count can hold transactions a re-org dropped.
          const from = await wallet.getAddress();
          const nonce = await provider.getTransactionCount(from, "latest");
          const wanted = await build();
          request = outbid(await wallet.populateTransaction({ ...wanted, nonce }), stale);
          // An estimate is exact for the state it ran on: a rival's transaction ahead in the block
          // can make it fall short (a fill that found the offer partly taken). A fifth more.
          if (wanted.gasLimit === undefined || wanted.gasLimit === null)
            request = { ...request, gasLimit: (BigInt(request.gasLimit as bigint) * 6n) / 5n };
          if (journal?.exclusive) {
            await checkNoForeignPending(provider, String(request.from), Number(request.nonce), options.label);
            checkNoForeignMined(memory, String(request.from), Number(request.nonce), options.label);
          }
          const raw = await wallet.signTransaction(request);
          signed = { raw, hash: keccak256(raw), request, replaced: [] };
          write(signed);
        }
        request = signed.request;
        await broadcast(provider, signed);
        options.afterBroadcast?.();
        receipt = await waitForReceipt(provider, signed, options);
      } else {
        request = await build();
        const hash = (await signer.sendTransaction(request)).hash;
        receipt = await waitForReceipt(provider, { hash, replaced: [] }, options);
      }
      if (!receipt) {
        stuck = true;
        throw new TransportError(`${options.label}: transaction not mined within ${receiptTimeout(options)} ms`);
      }
      memory.lastMined = Number(request.nonce);
      signed = undefined;
      journal?.set(undefined);
      if (receipt.status !== 1) throw await replayRevert(provider, request, receipt, options.label);
      return { status: "mined", receipt };
    },
    retry,
  );
}

/**
 * The same transaction (same nonce, same call) with its fees raised by a quarter, so that a node
 * takes it in place of one it will not mine (a fee too low; a node restarted from an earlier state
 * that still counts the old hash as known). Whichever of the two is mined, the receipt is found.
 */
async function replacement(wallet: LocalSigner, stuck: Signed): Promise<Signed> {
  const r = stuck.request;
  const request: TransactionRequest =
    r.maxFeePerGas !== undefined && r.maxFeePerGas !== null
      ? {
          ...r,
          maxFeePerGas: aQuarterMore(r.maxFeePerGas),
          maxPriorityFeePerGas: aQuarterMore(r.maxPriorityFeePerGas),
        }
      : { ...r, gasPrice: aQuarterMore(r.gasPrice) };
  const raw = await wallet.signTransaction(request);
  return { raw, hash: keccak256(raw), request, replaced: [...stuck.replaced, stuck.hash] };
}

/** A fee a quarter higher, rounded up (nodes take a replacement only above +10 %); undefined stays. */
function aQuarterMore(fee: unknown): bigint | undefined {
  return fee === undefined || fee === null ? undefined : (BigInt(fee as bigint) * 5n + 3n) / 4n;
}

/** The receipt of the transaction or of one it replaced, if any is mined. */
async function firstReceipt(
  provider: Provider,
  tx: { readonly hash: string; readonly replaced: readonly string[] },
): Promise<TransactionReceipt | null> {
  for (const hash of [tx.hash, ...tx.replaced]) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
  }
  return null;
}

const receiptTimeout = (o: SendOptions): number => o.receiptTimeoutMs ?? 60_000;

interface Signed {
  readonly raw: string;
  readonly hash: string;
  readonly request: TransactionRequest;
  /** Earlier transactions with the same nonce this one replaced (any of them may be mined). */
  readonly replaced: readonly string[];
}

function fromJournal(tx: InFlightTx): Signed {
  const parsed = Transaction.from(tx.raw);
  const { to, data, value, gasLimit, gasPrice, maxFeePerGas, maxPriorityFeePerGas, chainId, type } = parsed;
  return {
    raw: tx.raw,
    hash: tx.hash,
    request: {
      to,
      data,
      value,
      gasLimit,
      gasPrice,
      maxFeePerGas,
      maxPriorityFeePerGas,
      chainId,
      type,
      from: tx.from,
      nonce: tx.nonce,
    },
    replaced: tx.replaced ?? [],
  };
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

interface StaleTx {
  readonly nonce: number;
  readonly request: TransactionRequest;
}

/**
 * What this process remembers of each journal's key (never written down: a restart starts afresh):
 * the nonce of its last mined transaction, and its transactions left queued below a nonce gap.
 */
interface KeyMemory {
  lastMined?: number;
  readonly stale: StaleTx[];
}

const memories = new WeakMap<SendJournal, KeyMemory>();

/** The memory of `journal`'s key; a send without a journal gets a fresh one. */
function memoryOf(journal: SendJournal | undefined): KeyMemory {
  if (!journal) return { stale: [] };
  let memory = memories.get(journal);
  if (!memory) memories.set(journal, (memory = { stale: [] }));
  return memory;
}

/**
 * `request` with fees above those of a stale transaction of the same nonce (a quarter more), so a
 * node that still queues the stale one replaces it instead of running both. Stale transactions of
 * lower nonces are forgotten: their nonce is used.
 */
function outbid(request: TransactionRequest, stale: StaleTx[]): TransactionRequest {
  const nonce = Number(request.nonce);
  for (let i = stale.length - 1; i >= 0; i--) if (stale[i].nonce < nonce) stale.splice(i, 1);
  const old = stale.find((x) => x.nonce === nonce)?.request;
  if (!old) return request;
  const above = (mine: unknown, theirs: unknown): bigint | undefined => {
    if (mine === undefined || mine === null) return undefined;
    const floor = aQuarterMore(theirs) ?? 0n;
    return BigInt(mine as bigint) > floor ? BigInt(mine as bigint) : floor;
  };
  return {
    ...request,
    maxFeePerGas: above(request.maxFeePerGas, old.maxFeePerGas ?? old.gasPrice),
    maxPriorityFeePerGas: above(request.maxPriorityFeePerGas, old.maxPriorityFeePerGas ?? old.gasPrice),
    gasPrice: above(request.gasPrice, old.gasPrice ?? old.maxFeePerGas),
  };
}

/**
 * Refuses to sign at `nonce` when nonces were used since this process's last transaction that it
 * did not use: another process (on another host) sent with this key in between.
 */
function checkNoForeignMined(memory: KeyMemory, from: string, nonce: number, label: string): void {
  const last = memory.lastMined;
  // A lower nonce is a chain that went back (a re-org): its transactions are redone, not foreign.
  if (last === undefined || nonce <= last + 1) return;
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
  const pending = await provider.getTransactionCount(from, "pending");
  if (pending > nonce) {
    throw new KeyInUseError(
      `${label}: ${from} has ${pending - nonce} pending transaction(s) this process did not send: ` +
        "another process sends with this key",
      nonce,
    );
  }
}

/**
 * Waits for the transaction in flight in `journal` (from an earlier step or process) until it is
 * mined — re-broadcast unchanged, replaced with higher fees when a node will not mine it. A revert
 * clears it too (the caller re-reads chain state before it acts); its nonce taken by another
 * transaction is a KeyInUseError.
 */
export async function awaitInFlight(
  signer: Signer,
  journal: SendJournal,
  o: Omit<SendOptions, "label" | "intent" | "journal" | "isDone">,
): Promise<void> {
  const tx = journal.get();
  if (!tx) return;
  o.retry?.log?.(
    `waiting for my transaction in flight since an earlier step: ${tx.label} (${tx.hash}, nonce ${tx.nonce})`,
  );
  const never = (): Promise<TransactionRequest> => {
    throw new Error(`${tx.label}: nothing to build, the journal holds it`);
  };
  try {
    await sendGuarded(signer, never, { ...o, label: tx.label, intent: tx.intent, journal });
  } catch (e) {
    if (!(e instanceof RevertError)) throw e;
    o.retry?.log?.(`${tx.label}: mined but reverted (${e.message}); chain state is read again`);
  }
}

/**
 * Polls for the receipt of `tx` or of one it replaced; transport failures while polling are
 * retried until the timeout.
 */
async function waitForReceipt(
  provider: Provider,
  tx: { readonly hash: string; readonly replaced: readonly string[]; readonly request?: TransactionRequest },
  o: SendOptions,
): Promise<TransactionReceipt | null> {
  const deadline = Date.now() + receiptTimeout(o);
  let nextGapCheck = Date.now() + 5_000;
  for (;;) {
    try {
      const receipt = await firstReceipt(provider, tx);
      if (receipt) return receipt;
      // Every few seconds: a gap below its nonce (the chain went back) means it will never be mined.
      if (tx.request?.nonce !== undefined && tx.request.nonce !== null && Date.now() >= nextGapCheck) {
        nextGapCheck = Date.now() + 5_000;
        const mined = await provider.getTransactionCount(String(tx.request.from), "latest");
        if (mined < Number(tx.request.nonce)) return null;
      }
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
  // is in the second state only. The call carries no nonce or fees (a replay is a read).
  const { to, from, data, value } = request;
  let firstFailure: unknown;
  for (const blockTag of [receipt.blockNumber - 1, receipt.blockNumber]) {
    try {
      await provider.call({ to, from, data, value, blockTag });
    } catch (e) {
      const revert = decodeRevert(e);
      if (revert) return new RevertError(revert.errorName, revert.args, revert.selector, revert.data, { cause: e });
      firstFailure ??= e;
    }
  }
  if (firstFailure !== undefined) {
    return undecoded(`: ${(firstFailure as Error).message.split("\n")[0]}`, firstFailure);
  }
  return undecoded(
    ` (replayed before and after block ${receipt.blockNumber} it succeeds: ` +
      `what failed it existed only inside that block, or it ran out of gas at ${receipt.gasUsed})`,
  );
}

/**
 * The chain layer's errors: a small hierarchy with a short message and the original error kept
 * as `cause` (through retries too), and ONE revert decoder shared by tasks, agents and scripts.
 *
 *   ChainError
 *   ├── TransportError       the node could not be reached or answered badly: a retry may cure it
 *   ├── RevertError          the chain answered "no": a decoded custom error (name, args, selector)
 *   └── ConfigurationError   a setting is wrong: RPC_URL, a key, a deployment file, a flag
 *       ├── DeploymentGoneError  the contracts an agent followed are no longer on this chain (final)
 *       └── KeyInUseError        another process sends with this agent's key (stand by)
 *   InputError (oracle/errors.ts)  bad input: a case, operation data, a forecast, a meter reading
 *
 * Code in oracle/ throws these classes, and callers tell failures apart by class (`errorKind`,
 * `isTransient`). Error text is read in one place only, `errorKind`'s look at an error that is
 * none of them: a raw error from ethers, a JSON-RPC node or fetch, where it first enters
 * (`toChainError`, used by the retry layer around every RPC call).
 */
import { Interface, ZeroHash, id, type ErrorDescription } from "ethers";
import { InputError } from "../errors";
import {
  BidBook__factory,
  DemandResponseMarket__factory,
  GeneratorRegistry__factory,
  GridOracle__factory,
  KwhToken__factory,
  UsdToken__factory,
} from "../../typechain-types";

export class ChainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The node was unreachable, timed out, dropped the connection or answered HTTP 5xx/429. */
export class TransportError extends ChainError {
  readonly retryable = true;
}

/**
 * A call or transaction reverted with `errorName(args)` (a GridSwap or OpenZeppelin custom error),
 * or — `decoded` false, `errorName` "" — reverted with no reason any GridSwap ABI knows
 * (`options.message` then says what reverted).
 */
export class RevertError extends ChainError {
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
    /** The 4-byte selector and the raw revert data, when known. */
    readonly selector: string | undefined,
    readonly data: string | undefined,
    options?: { cause?: unknown; message?: string },
  ) {
    super(options?.message ?? `reverted: ${formatCall(errorName, args)}`, options);
  }

  /** True when the custom error is known (its name and arguments are decoded). */
  get decoded(): boolean {
    return this.errorName !== "";
  }
}

/** A setting that cannot work: RPC_URL, PRIVATE_KEY, a keystore, a deployment file, a flag. */
export class ConfigurationError extends ChainError {}

/**
 * The deployment an agent follows is gone from the chain it talks to: the node was reset, or a
 * fresh chain has other contracts (or the same addresses from another history). Final: an agent
 * stops with a distinct exit code, and a supervisor must not restart it (nothing changes by then).
 */
export class DeploymentGoneError extends ConfigurationError {}

/**
 * Another process is sending transactions with this agent's key: it took a nonce this agent did
 * not use. The agent stands by (it neither signs nor sends) until the key has been quiet a while.
 */
export class KeyInUseError extends ConfigurationError {
  constructor(
    message: string,
    /** The nonce the other process took. */
    readonly nonce: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Reverts

let interfaces: Interface[] | undefined;

/** Every GridSwap ABI (which include the OpenZeppelin errors they inherit). */
function gridSwapInterfaces(): Interface[] {
  interfaces ??= [
    DemandResponseMarket__factory,
    GridOracle__factory,
    GeneratorRegistry__factory,
    UsdToken__factory,
    KwhToken__factory,
    BidBook__factory,
  ].map((f) => new Interface(f.abi));
  return interfaces;
}

interface EthersLikeError {
  code?: string;
  shortMessage?: string;
  message?: string;
  reason?: string | null;
  data?: unknown;
  revert?: { name: string; args: readonly unknown[] } | null;
  info?: { error?: { data?: unknown; message?: string } };
  error?: { data?: unknown; message?: string };
  cause?: unknown;
}

/** The revert data in an error from ethers, a JSON-RPC node (Anvil, hardhat node) or Hardhat's provider. */
export function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let e = error as EthersLikeError | undefined;
  while (e && typeof e === "object" && !seen.has(e)) {
    seen.add(e);
    const nested = (e.data as { data?: unknown } | undefined)?.data;
    for (const d of [e.data, nested, e.info?.error?.data, e.error?.data]) {
      if (typeof d === "string" && /^0x[0-9a-fA-F]{8}/.test(d)) return d;
    }
    e = e.cause as EthersLikeError | undefined;
  }
  return undefined;
}

/** Decodes revert data with every GridSwap ABI; undefined when no ABI knows the selector. */
export function decodeRevertData(data: string): ErrorDescription | undefined {
  for (const iface of gridSwapInterfaces()) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return parsed;
    } catch {
      // not this contract's error
    }
  }
  return undefined;
}

/** The decoded revert of `error`, or undefined when it is not a revert with known data. */
export function decodeRevert(error: unknown): RevertError | undefined {
  if (error instanceof RevertError && error.decoded) return error;
  const e = error as EthersLikeError;
  const data = revertData(error);
  if (e?.revert) return new RevertError(e.revert.name, e.revert.args, data?.slice(0, 10), data, { cause: error });
  if (data === undefined) return undefined;
  const parsed = decodeRevertData(data);
  if (!parsed) return undefined;
  return new RevertError(parsed.name, [...parsed.args], parsed.selector, data, { cause: error });
}

const ROLE_NAMES = new Map<string, string>([
  [ZeroHash, "DEFAULT_ADMIN_ROLE"],
  ...["CENTRE_ROLE", "REGISTRAR_ROLE", "ISSUER_ROLE", "TREASURY_ROLE", "ORACLE_ROLE", "MINTER_ROLE"].map(
    (role): [string, string] => [id(role), role],
  ),
]);

/** `Name(arg, ...)`, with role hashes by name (AccessControlUnauthorizedAccount(0x…, TREASURY_ROLE)). */
export function formatCall(name: string, args: readonly unknown[]): string {
  const shown = args.map((a) => {
    const text = typeof a === "bigint" ? a.toString() : String(a);
    return ROLE_NAMES.get(text.toLowerCase()) ?? text;
  });
  return `${name}(${shown.join(", ")})`;
}

// ---------------------------------------------------------------------------------------------
// Transport failures

const TRANSPORT_CODES = new Set([
  "NETWORK_ERROR",
  "SERVER_ERROR",
  "TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);
// Whole words only: an address or payload can contain "429" or "503" by chance.
const TRANSPORT_TEXT =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up|other side closed|fetch failed|network error|connection (?:refused|reset|closed)|timeout|timed out|unreachable|HTTP (?:429|5\d\d)|status(?: code)? (?:429|5\d\d)|bad gateway|service unavailable|gateway timeout|internal server error)\b/i;

/** What kind of failure an error is; "other" is none of the kinds below (a bug, an unknown answer). */
export type ErrorKind = "transport" | "revert" | "configuration" | "input" | "other";

/**
 * The kind of `error`, by its class: TransportError, RevertError, ConfigurationError, InputError.
 * An error of none of these classes (a raw error from ethers, a node or fetch, or one that wraps
 * another as its `cause`) is judged here, the one place that reads codes and text: a transport
 * failure (refused, reset or dropped connections, timeouts, HTTP 5xx and 429), a revert (the
 * chain's answer, whatever digits it contains), else the kind of its `cause`.
 */
export function errorKind(error: unknown): ErrorKind {
  const seen = new Set<unknown>();
  let e = error as EthersLikeError | undefined;
  while (e && typeof e === "object" && !seen.has(e)) {
    seen.add(e);
    if (e instanceof TransportError) return "transport";
    if (e instanceof RevertError) return "revert";
    if (e instanceof ConfigurationError) return "configuration";
    if (e instanceof InputError) return "input";
    if (e.code === "CALL_EXCEPTION") return "revert";
    if (e.code === "INVALID_ARGUMENT" || e.code === "ACTION_REJECTED") return "other";
    if (e.code !== undefined && TRANSPORT_CODES.has(e.code)) return "transport";
    const text = `${e.shortMessage ?? ""} ${e.message ?? ""}`;
    if (/revert/i.test(text)) return "revert";
    if (TRANSPORT_TEXT.test(text)) return "transport";
    e = e.cause as typeof e;
  }
  return "other";
}

/**
 * The typed error for `error` where it first enters from ethers, a node or fetch: an error of one
 * of the classes above as it is; a transport failure as a TransportError and a revert GridSwap's
 * ABIs decode as a RevertError (each with the original as `cause`); anything else unchanged.
 */
export function toChainError(error: unknown): unknown {
  if (error instanceof ChainError || error instanceof InputError) return error;
  switch (errorKind(error)) {
    case "transport":
      return new TransportError(firstLine(error), { cause: error });
    case "revert":
      return decodeRevert(error) ?? error;
    default:
      return error;
  }
}

/**
 * True for failures a retry may cure: the transport, never a revert, a rejected signature, bad
 * input or a bad setting (see `errorKind`).
 */
export function isTransient(error: unknown): boolean {
  return errorKind(error) === "transport";
}

function firstLine(error: unknown): string {
  const e = error as EthersLikeError | undefined;
  return String(e?.shortMessage ?? e?.message ?? error).split("\n")[0];
}

/** One line saying what went wrong: a decoded revert, a transport failure or the message. */
export function describeChainError(error: unknown): string {
  const revert = decodeRevert(error);
  if (revert) return `transaction reverted: ${formatCall(revert.errorName, revert.args)}`;
  const e = error as EthersLikeError;
  let text: string;
  if (e?.code === "CALL_EXCEPTION") text = `transaction reverted: ${e.reason ?? e.shortMessage ?? "no reason given"}`;
  else if (error instanceof Error || typeof e?.message === "string")
    text = e.shortMessage ?? e.message ?? String(error);
  else text = String(error);
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Shared helpers of the gridswap:* tasks: argument parsing with one-line errors, the deployment
 * directory, wallets, connecting to a deployment and turning any failure into a clean message.
 *
 * hardhat.config.ts imports the tasks when the config loads, before typechain-types exist on a
 * fresh clone: nothing here may import typechain-types or oracle/ statically. Both are imported
 * inside functions, after a quiet compile.
 */
import { HardhatPluginError } from "hardhat/plugins";
import type { ActionType, HardhatRuntimeEnvironment, TaskArguments } from "hardhat/types";

export const PLUGIN = "gridswap";

/** Throws the one-line error Hardhat prints as "Error in plugin gridswap: <message>". */
export function fail(message: string): never {
  throw new HardhatPluginError(PLUGIN, message);
}

/** Where deployments/<network>.json lives: GRIDSWAP_DEPLOYMENTS_DIR (tests), else the current directory. */
export function deploymentsRoot(): string {
  const dir = process.env.GRIDSWAP_DEPLOYMENTS_DIR;
  return dir !== undefined && dir !== "" ? dir : process.cwd();
}

/** Wraps a task action so that every failure reaches the terminal as one line naming the problem. */
export function action<A extends TaskArguments>(
  fn: (args: A, hre: HardhatRuntimeEnvironment) => Promise<void>,
): ActionType<A> {
  return async (args, hre) => {
    try {
      await fn(args, hre);
    } catch (e) {
      throw await toPluginError(e);
    }
  };
}

interface EthersLikeError {
  code?: string;
  shortMessage?: string;
  message?: string;
  data?: unknown;
  revert?: { name: string; args: readonly unknown[] } | null;
  info?: { error?: { data?: unknown; message?: string } };
  error?: { data?: unknown; message?: string };
}

/** The custom error a failed call reverted with, decoded with any GridSwap contract's ABI. */
export async function revertOf(e: unknown): Promise<{ name: string; args: readonly unknown[] } | undefined> {
  const err = (e ?? {}) as EthersLikeError;
  return err.revert ?? (await decodeRevert(revertData(err)));
}

async function toPluginError(e: unknown): Promise<HardhatPluginError> {
  if (HardhatPluginError.isHardhatPluginError(e)) return e;
  const err = (e ?? {}) as EthersLikeError;
  const revert = await revertOf(e);
  const parent = e instanceof Error ? e : undefined;
  if (revert) {
    return new HardhatPluginError(
      PLUGIN,
      `transaction reverted: ${await formatCall(revert.name, revert.args)}`,
      parent,
    );
  }
  const text = err.shortMessage ?? err.message ?? String(e);
  return new HardhatPluginError(PLUGIN, firstLine(text), parent);
}

function firstLine(text: string): string {
  return text.split("\n")[0].trim();
}

function revertData(err: EthersLikeError): string | undefined {
  // ethers (data), JSON-RPC nodes (info.error.data), Hardhat's ProviderError (data.data).
  const nested = (err.data as { data?: unknown } | undefined)?.data;
  for (const d of [err.data, nested, err.info?.error?.data, err.error?.data]) {
    if (typeof d === "string" && /^0x[0-9a-fA-F]{8}/.test(d)) return d;
  }
  return undefined;
}

/** Decodes a custom error of any GridSwap contract (including the OpenZeppelin errors they inherit). */
async function decodeRevert(data: string | undefined): Promise<{ name: string; args: readonly unknown[] } | undefined> {
  if (data === undefined) return undefined;
  try {
    const tc = await import("../typechain-types");
    const interfaces = [
      tc.DemandResponseMarket__factory.createInterface(),
      tc.GridOracle__factory.createInterface(),
      tc.GeneratorRegistry__factory.createInterface(),
      tc.KwhToken__factory.createInterface(),
      tc.UsdToken__factory.createInterface(),
    ];
    for (const iface of interfaces) {
      try {
        const parsed = iface.parseError(data);
        if (parsed) return { name: parsed.name, args: [...parsed.args] };
      } catch {
        // not this contract's error
      }
    }
  } catch {
    // typechain-types missing: fall back to the raw message
  }
  return undefined;
}

/** `Name(arg, ...)`, with role hashes shown by name (AccessControlUnauthorizedAccount(0x…, TREASURY_ROLE)). */
async function formatCall(name: string, args: readonly unknown[]): Promise<string> {
  const { id, ZeroHash } = await import("ethers");
  const roles = new Map<string, string>([[ZeroHash, "DEFAULT_ADMIN_ROLE"]]);
  for (const role of ["REGISTRAR_ROLE", "ISSUER_ROLE", "TREASURY_ROLE", "ORACLE_ROLE", "CENTRE_ROLE"]) {
    roles.set(id(role), role);
  }
  return `${name}(${args.map((a) => roles.get(String(a).toLowerCase()) ?? String(a)).join(", ")})`;
}

/** A checksummed address from a parameter, or a one-line error naming the parameter. */
export function parseAddress(hre: HardhatRuntimeEnvironment, value: unknown, flag: string): string {
  if (typeof value !== "string" || value.trim() === "") fail(`${flag} is required: give a 0x address`);
  const v: string = value.trim();
  const lower = v.toLowerCase();
  if (hre.ethers.isAddress(v)) {
    const address = hre.ethers.getAddress(v);
    if (address === hre.ethers.ZeroAddress) fail(`${flag}: the zero address cannot hold a role or tokens`);
    return address;
  }
  if (hre.ethers.isAddress(lower)) {
    fail(`${flag}: '${v}' has a bad checksum (check the mixed-case letters, or give it in lower case)`);
  }
  fail(`${flag}: '${v}' is not an address (expected 0x followed by 40 hex digits)`);
}

/** A comma-separated list of addresses (Hardhat lets each option appear once). */
export function parseAddressList(hre: HardhatRuntimeEnvironment, value: unknown, flag: string): string[] {
  if (typeof value !== "string" || value.trim() === "") return [];
  return value
    .split(/[\s,]+/)
    .filter((s) => s !== "")
    .map((s) => parseAddress(hre, s, flag));
}

/** A positive decimal amount with at most `decimals` digits after the point (the token's precision). */
export function parseAmount(value: unknown, flag: string, unit: string, decimals: number): number {
  if (typeof value !== "string" && typeof value !== "number") fail(`${flag} is required: give an amount in ${unit}`);
  const v = String(value).trim();
  if (!/^\d+(\.\d+)?$/.test(v)) fail(`${flag}: '${v}' is not a positive number of ${unit}`);
  const fraction = v.split(".")[1] ?? "";
  if (fraction.length > decimals) {
    fail(`${flag}: '${v}' has more than ${decimals} decimals (the token's precision for ${unit})`);
  }
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) fail(`${flag}: '${v}' must be more than 0 ${unit}`);
  return x;
}

/** A non-negative integer no larger than `max`. */
export function parseInteger(
  value: unknown,
  flag: string,
  what: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = String(value ?? "").trim();
  if (!/^\d+$/.test(v)) fail(`${flag}: '${v}' is not ${what}`);
  const n = Number(v);
  if (n < min || n > max) fail(`${flag}: ${v} is out of range (${min} to ${max})`);
  return n;
}

/** Runs Hardhat's compile quietly (as `hardhat run` does), so artifacts and typechain-types exist. */
export async function compileQuietly(hre: HardhatRuntimeEnvironment): Promise<void> {
  await hre.run("compile", { quiet: true });
}

/** The network's configured account at `index` (Hardhat's dev accounts, or the node's unlocked ones). */
export async function accountAt(hre: HardhatRuntimeEnvironment, index: number, flag: string) {
  const signers = await hre.ethers.getSigners();
  if (index >= signers.length) {
    fail(
      `${flag} ${index}: network '${hre.network.name}' has ${signers.length} account(s) (indices 0 to ${signers.length - 1})`,
    );
  }
  return signers[index];
}

export interface WalletArgs {
  readonly keyEnv?: string;
  readonly keystore?: string;
  readonly passwordEnv?: string;
  readonly accountIndex?: string;
}

/** Exactly one wallet source: a key in an env variable, an encrypted keystore, or a dev account index. */
export async function walletFrom(hre: HardhatRuntimeEnvironment, args: WalletArgs) {
  const given = [args.keyEnv, args.keystore, args.accountIndex].filter((x) => x !== undefined && x !== "");
  if (given.length === 0) {
    fail(
      "no wallet given: use --key-env NAME, --keystore PATH --password-env NAME, or --account-index I (dev accounts)",
    );
  }
  if (given.length > 1) fail("give one wallet: --key-env, --keystore or --account-index, not several");
  if (args.passwordEnv !== undefined && args.keystore === undefined) fail("--password-env needs --keystore");
  if (args.accountIndex !== undefined && args.accountIndex !== "") {
    return accountAt(hre, parseInteger(args.accountIndex, "--account-index", "an account index"), "--account-index");
  }
  const { loadWallet } = await import("../oracle/chain/wallet");
  return loadWallet(
    args.keystore !== undefined
      ? { keystore: args.keystore, passwordEnv: args.passwordEnv }
      : { privateKeyEnv: args.keyEnv },
    hre.ethers.provider,
  );
}

/**
 * The deployment of this network (deployments/<network>.json, checked against the chain id and
 * code) with its five contracts connected to the provider.
 */
export async function connectDeployment(hre: HardhatRuntimeEnvironment) {
  await compileQuietly(hre);
  const { readDeployment } = await import("../oracle/chain/deployments");
  const tc = await import("../typechain-types");
  const provider = hre.ethers.provider;
  let file: Awaited<ReturnType<typeof readDeployment>>;
  try {
    file = await readDeployment(hre.network.name, provider, deploymentsRoot());
  } catch (e) {
    const message = (e as Error).message;
    if (hre.network.name === "hardhat" && /no contract at/.test(message)) {
      fail(
        `${message}: the in-process hardhat network starts empty in every command; run \`npx hardhat node\` and use --network localhost`,
      );
    }
    throw e;
  }
  const a = file.addresses;
  const contracts = {
    registry: tc.GeneratorRegistry__factory.connect(a.registry, provider),
    usd: tc.UsdToken__factory.connect(a.usd, provider),
    kwh: tc.KwhToken__factory.connect(a.kwh, provider),
    oracle: tc.GridOracle__factory.connect(a.oracle, provider),
    market: tc.DemandResponseMarket__factory.connect(a.market, provider),
  };
  return { file, contracts };
}

/** The offer statuses of IDemandResponseMarket.Status, by value. */
export const STATUS = ["None", "Open", "Accepted", "Settled", "Cancelled", "Refunded", "Unwound"] as const;

export const isoTime = (unixSeconds: number | bigint): string => new Date(Number(unixSeconds) * 1000).toISOString();

/** Sends a transaction and waits for it; returns its hash and gas. */
export async function sent(
  tx: Promise<{ wait(): Promise<{ hash: string; gasUsed: bigint } | null> }>,
): Promise<{ hash: string; gas: bigint }> {
  const receipt = await (await tx).wait();
  if (!receipt) fail("the transaction was dropped (no receipt)");
  return { hash: receipt.hash, gas: receipt.gasUsed };
}

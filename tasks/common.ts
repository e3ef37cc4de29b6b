/**
 * What every gridswap:* task shares: its definition with the option names recorded (so a mistyped
 * flag is caught before Hardhat prints a stack trace), one error rule, argument parsing that names
 * the flag, the deployment of the network, and the wallets of the roles.
 *
 * One error rule, headless or not: a task prints `gridswap:<task>: <message>` on stderr — one line
 * naming the flag, the setting (RPC_URL, PRIVATE_KEY, <ROLE>_KEY) or the URL — and exits 1. The
 * stack only with `--show-stack-traces` or DEBUG=gridswap. Run from another task or a test
 * (hre.run), the same message is thrown as a HardhatPluginError.
 *
 * hardhat.config.ts imports the tasks when the config loads, before artifacts and typechain-types
 * exist on a fresh clone: nothing here imports typechain-types or oracle/chain statically — except
 * oracle/chain/units.ts, which imports nothing. The rest is imported inside actions, after
 * `ensureCompiled`.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { task } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment, TaskArguments } from "hardhat/types";
import type { DeploymentFile, DeploymentGrid, DeploymentRoles } from "../oracle/chain/deployments";
import {
  formatUnits,
  KWH_DECIMALS,
  MAX_KWH_WH,
  MAX_USD_UNITS,
  parseDecimalUnits,
  USD_DECIMALS,
} from "../oracle/chain/units";

export const PLUGIN = "gridswap";

/** A problem with how the task was asked: printed as is. */
export class TaskInputError extends Error {}

/** Stops the task with one line naming the problem. */
export function fail(message: string): never {
  throw new TaskInputError(message);
}

// ---------------------------------------------------------------------------------------------
// Task definitions and the one error rule

/** Option names (as typed: --kebab-case) of every gridswap task, for the preflight check. */
export const TASK_OPTIONS = new Map<string, { options: Set<string>; flags: Set<string> }>();

const kebab = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export interface OptionDoc {
  /** camelCase, as Hardhat passes it to the action. */
  readonly name: string;
  readonly description: string;
  /** A boolean flag (no value). */
  readonly flag?: boolean;
}

/**
 * Defines `gridswap:<name>`: every option optional at Hardhat's level (the action says what is
 * missing, naming the flag), the action wrapped in the error rule.
 */
export function gridswapTask<A extends TaskArguments>(
  name: string,
  description: string,
  options: readonly OptionDoc[],
  run: (args: A, hre: HardhatRuntimeEnvironment, taskName: string) => Promise<void>,
): ConfigurableTaskDefinition {
  const taskName = `${PLUGIN}:${name}`;
  const t = task(taskName, description);
  const record = { options: new Set<string>(), flags: new Set<string>() };
  for (const o of options) {
    if (o.flag) {
      t.addFlag(o.name, o.description);
      record.flags.add(`--${kebab(o.name)}`);
    } else {
      t.addOptionalParam(o.name, o.description);
      record.options.add(`--${kebab(o.name)}`);
    }
  }
  TASK_OPTIONS.set(taskName, record);
  t.setAction(async (args: A, hre) => {
    try {
      await run(args, hre, taskName);
    } catch (e) {
      const message = await describeTaskError(e, hre);
      if (isEntryTask(taskName)) {
        process.stderr.write(`${taskName}: ${message}\n`);
        if (showStacks() && e instanceof Error) process.stderr.write(`${e.stack}\n`);
        process.exitCode = 1;
        return;
      }
      throw new HardhatPluginError(PLUGIN, `${taskName}: ${message}`, e instanceof Error ? e : undefined);
    }
  });
  return t;
}

/** True when `taskName` is the task this Hardhat process was started for (not a nested hre.run). */
function isEntryTask(taskName: string): boolean {
  return entryTask(process.argv.slice(2)) === taskName;
}

/** The task a Hardhat command line names: the first argument that is not a Hardhat option. */
export function entryTask(argv: readonly string[]): string | undefined {
  const withValue = new Set(["--network", "--config", "--max-memory", "--tsconfig"]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (withValue.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

export const showStacks = (): boolean =>
  process.argv.includes("--show-stack-traces") || (process.env.DEBUG ?? "").split(",").includes("gridswap");

/**
 * The network a Hardhat command line selects (--network, else HARDHAT_NETWORK, else the default).
 */
export function selectedNetwork(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const i = argv.indexOf("--network");
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1];
  const inline = argv.find((a) => a.startsWith("--network="));
  if (inline) return inline.slice("--network=".length);
  return env.HARDHAT_NETWORK ?? "hardhat";
}

/**
 * Checks a gridswap command line before Hardhat parses it: an unknown option is named here in one
 * line (Hardhat would print HH305 and, on a headless machine, a stack trace). Returns the problem.
 */
export function preflightProblem(argv: readonly string[]): string | undefined {
  const name = entryTask(argv);
  if (name === undefined || !name.startsWith(`${PLUGIN}:`)) return undefined;
  const record = TASK_OPTIONS.get(name);
  if (!record) {
    const known = [...TASK_OPTIONS.keys()].join(", ");
    return `${name}: no such task (the gridswap tasks: ${known})`;
  }
  const hardhatOptions = new Set([
    "--network",
    "--config",
    "--max-memory",
    "--tsconfig",
    "--show-stack-traces",
    "--verbose",
    "--emoji",
    "--flamegraph",
    "--typecheck",
    "--help",
  ]);
  const start = argv.indexOf(name);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      if (i > start && !isValueOf(argv, i, record)) return `${name}: unexpected argument '${a}'`;
      continue;
    }
    const flag = a.split("=")[0];
    if (hardhatOptions.has(flag)) continue;
    if (i < start) continue;
    if (record.flags.has(flag)) continue;
    if (record.options.has(flag)) {
      const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[i + 1];
      if (value === undefined || (value.startsWith("--") && !a.includes("="))) return `${name}: ${flag} needs a value`;
      continue;
    }
    const all = [...record.options, ...record.flags].sort();
    return `${name}: unknown option '${flag}'${all.length ? ` (options: ${all.join(" ")})` : " (it takes no options)"}`;
  }
  return undefined;
}

function isValueOf(argv: readonly string[], i: number, record: { options: Set<string> }): boolean {
  const prev = argv[i - 1];
  return prev !== undefined && (record.options.has(prev) || ["--network", "--config"].includes(prev));
}

interface LooseError {
  code?: string | number;
  number?: number;
  message?: string;
  shortMessage?: string;
  cause?: unknown;
  parent?: unknown;
}

/** The one line shown for a failure: the problem, never a stack. */
async function describeTaskError(e: unknown, hre: HardhatRuntimeEnvironment): Promise<string> {
  if (e instanceof TaskInputError) return e.message;
  const err = (e ?? {}) as LooseError;
  // Hardhat cannot reach an HTTP network (HH108) or the node refused the connection.
  if (err.number === 108 || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|socket hang up/.test(allText(e))) {
    return unreachable(hre, allText(e));
  }
  try {
    const { describeChainError, ConfigurationError } = await chain(hre);
    if (e instanceof ConfigurationError) return oneLine(e.message);
    return oneLine(describeChainError(e));
  } catch {
    return oneLine(err.shortMessage ?? err.message ?? String(e));
  }
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim();

function allText(e: unknown): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  let x = e as LooseError | undefined;
  while (x && typeof x === "object" && !seen.has(x)) {
    seen.add(x);
    parts.push(String(x.message ?? ""), String(x.code ?? ""));
    x = (x.cause ?? x.parent) as LooseError | undefined;
  }
  return parts.join(" ");
}

/** Where this network's URL comes from, for messages: RPC_URL for devnet, the config otherwise. */
export function urlSetting(hre: HardhatRuntimeEnvironment): { setting: string; url?: string } {
  const config = hre.network.config as { url?: string };
  if (hre.network.name === "devnet") return { setting: "RPC_URL", url: config.url };
  return { setting: `network '${hre.network.name}' (hardhat.config.ts)`, url: config.url };
}

function unreachable(hre: HardhatRuntimeEnvironment, text: string): string {
  const { setting, url } = urlSetting(hre);
  const why = /ECONNREFUSED/.test(text)
    ? "connection refused"
    : /ENOTFOUND|EAI_AGAIN/.test(text)
      ? "no such host"
      : text.trim() || "no answer";
  const hint =
    hre.network.name === "localhost"
      ? " (start a node: `npx hardhat node` or `npx anvil`)"
      : hre.network.name === "devnet"
        ? " (is the node running? set RPC_URL to its http:// URL)"
        : "";
  return `cannot reach ${setting} ${url ?? ""}: ${why}${hint}`.replace("  ", " ");
}

/**
 * For HTTP networks: asks eth_chainId once (bounded) so that an unreachable node is reported
 * at once, naming the setting and URL.
 */
export async function checkReachable(hre: HardhatRuntimeEnvironment): Promise<void> {
  const { setting, url } = urlSetting(hre);
  if (url === undefined) return;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) fail(`${setting} ${url} answered HTTP ${response.status}: not a JSON-RPC endpoint?`);
    const body = (await response.json().catch(() => ({}))) as { result?: unknown };
    if (typeof body.result !== "string")
      fail(`${setting} ${url} does not answer eth_chainId: not a JSON-RPC endpoint?`);
  } catch (e) {
    if (e instanceof TaskInputError) throw e;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const text = err.cause?.code ?? err.cause?.message ?? err.message;
    if (err.name === "TimeoutError") fail(`cannot reach ${setting} ${url}: no answer within 10 s`);
    fail(unreachable(hre, text));
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** A checksummed, non-zero address from a flag, or a one-line error naming the flag. */
export function parseAddress(hre: HardhatRuntimeEnvironment, value: unknown, flag: string): string {
  if (typeof value !== "string" || value.trim() === "") fail(`${flag} is required: give a 0x address`);
  const v = value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) fail(`${flag}: '${v}' is not an address (expected 0x followed by 40 hex digits)`);
  if (!hre.ethers.isAddress(v)) {
    fail(`${flag}: '${v}' has a bad checksum (check the mixed-case letters, or give it in lower case)`);
  }
  const address = hre.ethers.getAddress(v);
  if (address === hre.ethers.ZeroAddress) fail(`${flag}: the zero address cannot hold a role or tokens`);
  return address;
}

/** A required value: the flag named when missing. */
export function required(value: unknown, flag: string, what: string): string {
  if (typeof value !== "string" || value.trim() === "") fail(`${flag} is required: ${what}`);
  return value.trim();
}

/** A positive decimal amount, exact, in the token's smallest unit (oracle/chain/units.ts), naming the flag. */
export function parseUnitsExact(
  value: unknown,
  flag: string,
  unit: string,
  decimals: number,
  max: bigint,
  allowZero = false,
): bigint {
  const v = required(value, flag, `an amount in ${unit}`);
  try {
    return parseDecimalUnits(v, unit, decimals, max, allowZero);
  } catch (e) {
    return fail(`${flag}: ${(e as Error).message}`);
  }
}

/** An integer in [min, max], naming the flag. */
export function parseInteger(
  value: unknown,
  flag: string,
  what: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = required(value, flag, what);
  if (!/^\d+$/.test(v)) fail(`${flag}: '${v}' is not ${what}`);
  const n = Number(v);
  if (n < min || n > max) fail(`${flag}: ${v} is out of range (${min} to ${max})`);
  return n;
}

export { formatUnits, KWH_DECIMALS, MAX_KWH_WH, MAX_USD_UNITS, USD_DECIMALS };
export const fmtUsd = (units: bigint): string => formatUnits(units, USD_DECIMALS);
export const fmtKwh = (wh: bigint): string => formatUnits(wh, KWH_DECIMALS);
export const isoTime = (unixSeconds: number | bigint): string => new Date(Number(unixSeconds) * 1000).toISOString();

// ---------------------------------------------------------------------------------------------
// The chain layer, compiled

type Lib = typeof import("./lib");
let lib: Lib | undefined;

/**
 * The chain and agent modules (tasks/lib.ts) as compiled JavaScript from build/, which
 * tools/run.js keeps current: loading them through ts-node would cost seconds per command.
 */
export async function chain(hre: HardhatRuntimeEnvironment): Promise<Lib> {
  if (lib) return lib;
  await ensureCompiled(hre);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const run = require("../tools/run") as { ensureBuilt(): void; BUILD: string };
  run.ensureBuilt();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lib = require(join(run.BUILD, "tasks", "lib.js")) as Lib;
  return lib;
}

// ---------------------------------------------------------------------------------------------
// Compilation on demand (a fresh clone has no artifacts or typechain-types)

function newestMtime(dir: string, pattern: RegExp): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(path, pattern));
    else if (pattern.test(e.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Compiles (quietly, as `hardhat run` does) when typechain-types is missing or older than a
 * contract source; otherwise does nothing (Hardhat's compile task costs about a second even
 * when nothing changed).
 */
export async function ensureCompiled(hre: HardhatRuntimeEnvironment): Promise<void> {
  const types = join(hre.config.paths.root, "typechain-types", "index.ts");
  const typesTime = existsSync(types) ? statSync(types).mtimeMs : 0;
  if (typesTime > 0 && typesTime >= newestMtime(hre.config.paths.sources, /\.sol$/)) return;
  await hre.run("compile", { quiet: true });
}

// ---------------------------------------------------------------------------------------------
// The deployment and the roles' wallets

/** Where deployments/<network>.json lives: GRIDSWAP_DEPLOYMENTS_DIR (tests), else the current directory. */
export function deploymentsRoot(): string {
  const dir = process.env.GRIDSWAP_DEPLOYMENTS_DIR;
  return dir !== undefined && dir !== "" ? dir : process.cwd();
}

// ---------------------------------------------------------------------------------------------
// The grid: the case the market runs on

/** The centre's case when nothing else is said (agent:centre and gridswap:period default to it too). */
export const DEFAULT_CASE = "cases/seed34.json";

/**
 * A case file as the deployment records it (name, file, SHA-256 of its text, bus numbers); a file
 * that cannot be read or is not a valid case stops the task naming `flag`.
 */
export async function gridOfCase(hre: HardhatRuntimeEnvironment, file: string, flag: string): Promise<DeploymentGrid> {
  const path = resolve(file);
  if (!existsSync(path)) fail(`${flag}: no such file ${path}`);
  const text = readFileSync(path, "utf8");
  const { loadCase } = await chain(hre);
  let c: ReturnType<typeof loadCase>;
  try {
    c = loadCase(path);
  } catch (e) {
    fail(`${flag} ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const inside = relative(process.cwd(), path);
  return {
    case: c.name,
    file: inside.startsWith("..") || isAbsolute(inside) ? path : inside,
    sha256: createHash("sha256").update(text).digest("hex"),
    buses: c.bus.map((row) => row[0]), // BUS_I: the case's own bus numbers
  };
}

/**
 * The grid a task checks nodes against: the case given with --case, else the one the deployment
 * recorded, else the centre's default case. `how` says which, for messages.
 */
export async function gridFor(
  hre: HardhatRuntimeEnvironment,
  file: Pick<DeploymentFile, "grid"> | undefined,
  caseArg: string | undefined,
): Promise<{ grid: DeploymentGrid; how: string }> {
  if (caseArg !== undefined) return { grid: await gridOfCase(hre, caseArg, "--case"), how: "--case" };
  if (file?.grid) return { grid: file.grid, how: "the deployment's case" };
  return {
    grid: await gridOfCase(hre, DEFAULT_CASE, "the default case"),
    how: "the centre's default case (the deployment records none; --case FILE for another)",
  };
}

/** Bus numbers for people, consecutive ones as ranges: "1–34", "1–10, 12, 20–29 …". */
export function busRanges(buses: readonly number[], most = 8): string {
  const sorted = [...new Set(buses)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const b of sorted) {
    const last = runs[runs.length - 1];
    if (last && b === last[1] + 1) last[1] = b;
    else runs.push([b, b]);
  }
  const text = runs.slice(0, most).map(([a, b]) => (a === b ? String(a) : `${a}–${b}`));
  return `${text.join(", ")}${runs.length > most ? ", …" : ""}`;
}

/** The roles the deploy task records in the deployment file. */
export type RecordedRoles = DeploymentRoles;

export type RoleName = "admin" | "centre" | "oracle" | "registrar" | "issuer" | "treasury";

/** The environment variables of a role's key: <ROLE>_KEY, or <ROLE>_KEYSTORE + <ROLE>_PASSWORD. */
export const roleEnv = (role: RoleName): string => role.toUpperCase();

/**
 * The deployment of this network (deployments/<network>.json, checked against the chain: id, code,
 * period length) with its contracts on the network's provider, and the roles the deploy task
 * recorded (when it did).
 */
export async function connectDeployment(hre: HardhatRuntimeEnvironment) {
  await ensureCompiled(hre);
  await checkReachable(hre);
  const { deploymentPath, openDeployment } = await chain(hre);
  const path = deploymentPath(hre.network.name, deploymentsRoot());
  if (!existsSync(path)) {
    fail(
      `no deployment for network '${hre.network.name}' (${path}): run \`npx hardhat gridswap:deploy --network ${hre.network.name}\` first` +
        (hre.network.name === "hardhat"
          ? " — the in-process hardhat network starts empty in every command: start a node and use --network localhost"
          : ""),
    );
  }
  const { file, contracts } = await openDeployment(path, hre.ethers.provider);
  const roles = file.roles;
  return { path, file, contracts, roles, provider: hre.ethers.provider };
}

export type Connected = Awaited<ReturnType<typeof connectDeployment>>;

/**
 * The wallet of a role: <ROLE>_KEY or <ROLE>_KEYSTORE (+ <ROLE>_PASSWORD) when set, else the
 * network's own account holding the role's address (dev nodes: Hardhat's and Anvil's accounts).
 */
export async function roleSigner(hre: HardhatRuntimeEnvironment, c: Connected, role: RoleName, address?: string) {
  const env = roleEnv(role);
  if (process.env[`${env}_KEY`] || process.env[`${env}_KEYSTORE`]) {
    const { roleWallet } = await chain(hre);
    const wallet = await roleWallet(env, hre.ethers.provider);
    if (address !== undefined && wallet.address.toLowerCase() !== address.toLowerCase()) {
      fail(
        `${env}_KEY${process.env[`${env}_KEYSTORE`] ? "STORE" : ""} is ${wallet.address}, but the ${role} is ${address}`,
      );
    }
    return wallet;
  }
  if (address === undefined) {
    fail(`the deployment file ${c.path} records no ${role}: set ${env}_KEY (or ${env}_KEYSTORE and ${env}_PASSWORD)`);
  }
  const signer = await accountFor(hre, address);
  if (!signer) {
    fail(
      `the ${role} ${address} is not an account of network '${hre.network.name}': set ${env}_KEY ` +
        `(or ${env}_KEYSTORE and ${env}_PASSWORD)`,
    );
  }
  return signer;
}

/** The network's configured (or node-unlocked) account with this address, if any. */
export async function accountFor(hre: HardhatRuntimeEnvironment, address: string) {
  const signers = await hre.ethers.getSigners();
  return signers.find((s) => s.address.toLowerCase() === address.toLowerCase());
}

/** The network's account at `index` (dev accounts), naming the flag when there is none. */
export async function accountAt(hre: HardhatRuntimeEnvironment, index: number, flag: string) {
  const signers = await hre.ethers.getSigners();
  if (index >= signers.length) {
    fail(
      `${flag} ${index}: network '${hre.network.name}' has ${signers.length} account(s)` +
        (signers.length > 0 ? ` (indices 0 to ${signers.length - 1})` : ""),
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

export const WALLET_OPTIONS: readonly OptionDoc[] = [
  { name: "keyEnv", description: "Environment variable holding the wallet's private key (0x + 64 hex)" },
  { name: "keystore", description: "Encrypted JSON keystore of the wallet" },
  { name: "passwordEnv", description: "Environment variable holding the keystore's password" },
  { name: "accountIndex", description: "Index of one of the network's own (dev) accounts" },
];

/**
 * A wallet from exactly one source: --key-env NAME, --keystore PATH [--password-env NAME], or
 * --account-index I; with none given, `defaultEnv` (e.g. GENERATOR_KEY / GENERATOR_KEYSTORE).
 */
export async function walletFrom(hre: HardhatRuntimeEnvironment, args: WalletArgs, defaultEnv: string) {
  const given = [args.keyEnv, args.keystore, args.accountIndex].filter((x) => x !== undefined && x !== "");
  if (given.length > 1) fail("give one wallet: --key-env, --keystore or --account-index, not several");
  if (args.passwordEnv !== undefined && args.keystore === undefined) fail("--password-env needs --keystore");
  const { loadWallet, roleWallet } = await chain(hre);
  if (args.accountIndex !== undefined && args.accountIndex !== "") {
    return accountAt(hre, parseInteger(args.accountIndex, "--account-index", "an account index"), "--account-index");
  }
  if (args.keystore !== undefined && args.keystore !== "") {
    return loadWallet({ keystore: args.keystore, passwordEnv: args.passwordEnv }, hre.ethers.provider);
  }
  if (args.keyEnv !== undefined && args.keyEnv !== "") {
    return loadWallet({ privateKeyEnv: args.keyEnv }, hre.ethers.provider);
  }
  if (!process.env[`${defaultEnv}_KEY`] && !process.env[`${defaultEnv}_KEYSTORE`]) {
    fail(
      `no wallet: set ${defaultEnv}_KEY (or ${defaultEnv}_KEYSTORE and ${defaultEnv}_PASSWORD), or give ` +
        "--key-env NAME, --keystore PATH --password-env NAME, or --account-index I (dev accounts)",
    );
  }
  return roleWallet(defaultEnv, hre.ethers.provider);
}

/**
 * Refuses, before any transaction, an account with no ETH to pay gas: `who` names it in the
 * message, with the task that funds it on a devnet.
 */
export async function requireGas(hre: HardhatRuntimeEnvironment, address: string, who: string): Promise<void> {
  if ((await hre.ethers.provider.getBalance(address)) > 0n) return;
  fail(`${who} ${address} has no ETH to pay for gas: gridswap:fund --to ${address} (devnets) or send it some`);
}

/** Sends a transaction and waits for it; returns its hash and gas. */
export async function sent(
  tx: Promise<{ wait(): Promise<{ hash: string; gasUsed: bigint; status?: number | null } | null> }>,
): Promise<{ hash: string; gas: bigint }> {
  const receipt = await (await tx).wait();
  if (!receipt) fail("the transaction was dropped (no receipt)");
  return { hash: receipt.hash, gas: receipt.gasUsed };
}

/** Prints a table: numbers right-aligned. */
export function printTable(header: readonly string[], rows: readonly string[][], numeric: ReadonlySet<string>): void {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, k) => (numeric.has(header[k]) ? cell.padStart(widths[k]) : cell.padEnd(widths[k])))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

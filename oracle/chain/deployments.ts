/**
 * Deployments: where GridSwap lives on a chain, in deployments/<network>.json — written by the
 * deploy task, read by every later command, the agents and the dashboard — and the one connector
 * that turns such a file into checked, attached contracts.
 *
 * File format (docs/integrating.md):
 *   { "network", "chainId", "deployedAt" (ISO time), "deployBlock" (first block with GridSwap
 *     logs: read events from here), "periodSeconds", "addresses": { registry, usd, kwh, oracle, market },
 *     "roles"?: who holds which role, "grid"?: the case the market runs on (its bus numbers) }
 *   addresses may also name "bids", the bid book (contracts/BidBook.sol), when one was deployed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isAddress, type Provider, type Signer } from "ethers";
import {
  BidBook__factory,
  DemandResponseMarket__factory,
  GeneratorRegistry__factory,
  GridOracle__factory,
  KwhToken__factory,
  UsdToken__factory,
  type BidBook,
} from "../../typechain-types";
import type { GridSwapContracts } from "./deploy";
import { ConfigurationError } from "./errors";

export const CONTRACT_NAMES = ["registry", "usd", "kwh", "oracle", "market"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];
/** Contracts a deployment may have beside the five: the bid book. */
export const OPTIONAL_CONTRACT_NAMES = ["bids"] as const;
export type OptionalContractName = (typeof OPTIONAL_CONTRACT_NAMES)[number];

export interface DeploymentFile {
  readonly network: string;
  readonly chainId: number;
  readonly deployedAt: string;
  /** The block the first contract was deployed in: logs are read from here. */
  readonly deployBlock: number;
  /** The oracle's period length, s (the contract is the source; this copy is for readers). */
  readonly periodSeconds: number;
  readonly addresses: Readonly<Record<ContractName, string>> & Readonly<Partial<Record<OptionalContractName, string>>>;
  /** Who holds which role, as the deploy task assigned them (absent in files written by scripts). */
  readonly roles?: DeploymentRoles;
  /** The grid the market runs on, as the deploy task recorded it (absent in files written by scripts). */
  readonly grid?: DeploymentGrid;
}

/**
 * The case the centre studies, recorded at deployment: the registry knows no grid, so this is
 * what a generator's node is checked against (it must be one of the case's bus numbers).
 */
export interface DeploymentGrid {
  /** The case's name and its file (relative to the directory the deploy ran in, or absolute). */
  readonly case: string;
  readonly file: string;
  /** SHA-256 of the file's text, hex: a changed file is noticed. */
  readonly sha256: string;
  /** Its bus numbers: the grid nodes a generator can be registered at. */
  readonly buses: number[];
}

/** The accounts the deploy task gave each role (addresses; the deployer itself holds none). */
export interface DeploymentRoles {
  readonly deployer: string;
  readonly admin: string;
  readonly centres: string[];
  readonly oracleSigners: string[];
  readonly oracleThreshold: number;
  readonly registrar: string;
  readonly issuer: string;
  readonly treasury: string;
}

/** deployments/<network>.json under `root` (default: the current directory). */
export const deploymentPath = (network: string, root = process.cwd()): string =>
  join(root, "deployments", `${network}.json`);

/** Writes atomically (temp file + rename): a crash never leaves a half-written file. */
export function writeDeployment(file: DeploymentFile, path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** Reads and checks the file's shape; every problem names the file and the field. */
export function readDeploymentFile(path: string): DeploymentFile {
  const where = resolve(path);
  if (!existsSync(where)) {
    throw new ConfigurationError(`no deployment file at ${where}: run \`npx hardhat gridswap:deploy\` first`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(where, "utf8"));
  } catch (e) {
    throw new ConfigurationError(`${where} is not valid JSON: ${(e as Error).message}`);
  }
  const f = raw as Partial<DeploymentFile>;
  const fail = (what: string): never => {
    throw new ConfigurationError(`${where}: ${what}`);
  };
  if (typeof raw !== "object" || raw === null) fail("not a deployment file (expected a JSON object)");
  if (!Number.isInteger(f.chainId) || (f.chainId as number) <= 0) fail(`chainId must be a positive integer`);
  if (!Number.isInteger(f.deployBlock) || (f.deployBlock as number) < 0) fail(`deployBlock must be a block number`);
  if (!Number.isInteger(f.periodSeconds) || (f.periodSeconds as number) <= 0) fail(`periodSeconds must be positive`);
  if (typeof f.addresses !== "object" || f.addresses === null) fail(`addresses is missing`);
  for (const name of CONTRACT_NAMES) {
    const a = (f.addresses as Record<string, unknown>)[name];
    if (typeof a !== "string" || !isAddress(a)) fail(`addresses.${name} is not an address: ${JSON.stringify(a)}`);
  }
  for (const name of OPTIONAL_CONTRACT_NAMES) {
    const a = (f.addresses as Record<string, unknown>)[name];
    if (a !== undefined && (typeof a !== "string" || !isAddress(a)))
      fail(`addresses.${name} is not an address: ${JSON.stringify(a)}`);
  }
  if (f.roles !== undefined) {
    const r = f.roles as unknown as Record<string, unknown>;
    if (typeof r !== "object" || r === null) fail("roles must be an object");
    for (const role of ["deployer", "admin", "registrar", "issuer", "treasury"]) {
      if (typeof r[role] !== "string" || !isAddress(r[role]))
        fail(`roles.${role} is not an address: ${JSON.stringify(r[role])}`);
    }
    for (const list of ["centres", "oracleSigners"]) {
      const v = r[list];
      if (!Array.isArray(v) || v.some((a) => typeof a !== "string" || !isAddress(a))) {
        fail(`roles.${list} must be a list of addresses: ${JSON.stringify(v)}`);
      }
    }
    const k = r.oracleThreshold;
    if (!Number.isInteger(k) || (k as number) < 1 || (k as number) > (r.oracleSigners as string[]).length) {
      fail(`roles.oracleThreshold must be between 1 and the number of oracle signers: ${JSON.stringify(k)}`);
    }
  }
  if (f.grid !== undefined) {
    const g = f.grid as unknown as Record<string, unknown>;
    if (typeof g !== "object" || g === null) fail("grid must be an object");
    if (typeof g.case !== "string" || typeof g.file !== "string") fail("grid.case and grid.file must be strings");
    if (typeof g.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(g.sha256)) fail("grid.sha256 must be 64 hex digits");
    const buses = g.buses;
    if (!Array.isArray(buses) || buses.length === 0 || buses.some((b) => !Number.isInteger(b) || b <= 0)) {
      fail(`grid.buses must be a list of bus numbers: ${JSON.stringify(buses)?.slice(0, 80)}`);
    }
  }
  return f as DeploymentFile;
}

/** The contracts at `addresses`, attached to `runner` (typechain factories; no checks). */
export function attachContracts(
  addresses: Readonly<Record<ContractName, string>>,
  runner: Provider | Signer,
): GridSwapContracts {
  return {
    registry: GeneratorRegistry__factory.connect(addresses.registry, runner),
    usd: UsdToken__factory.connect(addresses.usd, runner),
    kwh: KwhToken__factory.connect(addresses.kwh, runner),
    oracle: GridOracle__factory.connect(addresses.oracle, runner),
    market: DemandResponseMarket__factory.connect(addresses.market, runner),
  };
}

/** The deployment's bid book attached to `runner`, or undefined when it has none. */
export function attachBidBook(
  addresses: Readonly<Partial<Record<OptionalContractName, string>>>,
  runner: Provider | Signer,
): BidBook | undefined {
  return addresses.bids === undefined ? undefined : BidBook__factory.connect(addresses.bids, runner);
}

/**
 * The one connector shared by tasks, agents and the dashboard: reads `path`, checks that the
 * endpoint is the file's chain, that every address holds code, that a bid book it names is the
 * market's and that the oracle answers with the file's period length, and returns the attached
 * contracts (the bid book: attachBidBook(file.addresses, runner)).
 */
export async function openDeployment(
  path: string,
  provider: Provider,
): Promise<{ file: DeploymentFile; contracts: GridSwapContracts }> {
  const file = readDeploymentFile(path);
  const { chainId } = await provider.getNetwork();
  if (BigInt(file.chainId) !== chainId) {
    throw new ConfigurationError(`${path} is for chain ${file.chainId}, but the RPC endpoint is chain ${chainId}`);
  }
  for (const name of [...CONTRACT_NAMES, ...OPTIONAL_CONTRACT_NAMES.filter((n) => file.addresses[n] !== undefined)]) {
    if ((await provider.getCode(file.addresses[name] as string)) === "0x") {
      throw new ConfigurationError(
        `${path}: no contract at ${name} ${file.addresses[name]} on chain ${chainId} (was the node restarted?)`,
      );
    }
  }
  const contracts = attachContracts(file.addresses, provider);
  const bids = attachBidBook(file.addresses, provider);
  if (bids && (await bids.market()).toLowerCase() !== file.addresses.market.toLowerCase()) {
    throw new ConfigurationError(
      `${path}: the bid book at ${file.addresses.bids} belongs to market ${await bids.market()}, not ${file.addresses.market}`,
    );
  }
  const periodSeconds = Number(await contracts.oracle.periodSeconds());
  if (periodSeconds !== file.periodSeconds) {
    throw new ConfigurationError(
      `${path} says periods of ${file.periodSeconds} s, the oracle at ${file.addresses.oracle} has ${periodSeconds} s`,
    );
  }
  return { file, contracts };
}

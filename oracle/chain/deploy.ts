/**
 * Deployment and seeding of GridSwap with ethers v6 on any EVM chain (no Hardhat helpers here):
 *
 *   const c = await deployGridSwap(deployer, roles, params);   // five contracts, roles given at construction
 *   await seedGridSwap(c, { registrar, issuer, treasury }, plan); // generators, kWh, USD, vault deposits
 *   const bids = await deployBidBook(deployer, c.market);          // the sealed-bid book (optional, no role)
 *
 * Composable like Seaport's fixtures: tests, the gas benchmark, the demo and devnet helpers all
 * call these two. Roles go to SEPARATE accounts (finding GS-01): `deployGridSwap` refuses a
 * deployment where one address holds two of admin / centre / oracle signer / registrar / issuer /
 * treasury, and the deployer itself receives nothing.
 */
import type { Signer } from "ethers";
import {
  BidBook__factory,
  DemandResponseMarket__factory,
  GeneratorRegistry__factory,
  GridOracle__factory,
  KwhToken__factory,
  UsdToken__factory,
  type BidBook,
  type DemandResponseMarket,
  type GeneratorRegistry,
  type GridOracle,
  type KwhToken,
  type UsdToken,
} from "../../typechain-types";
import { Asset } from "./enums";
import { DEFAULT_PERIOD_SECONDS } from "../grid/case/operation";
import { ConfigurationError } from "./errors";
import { usdPerMWhToUnits } from "./units";

export interface GridSwapContracts {
  readonly registry: GeneratorRegistry;
  readonly usd: UsdToken;
  readonly kwh: KwhToken;
  readonly oracle: GridOracle;
  readonly market: DemandResponseMarket;
}

/** Who holds which right (addresses). Each must be a different account. */
export interface GridSwapRoles {
  /** DEFAULT_ADMIN_ROLE of the market, registry and tokens: grants centre/registrar/issuer/treasury. */
  readonly admin: string;
  /** CENTRE_ROLE: the power quality centres, who sign offers. */
  readonly centres: readonly string[];
  /** The oracle's first signer set (n ≤ 32). */
  readonly oracleSigners: readonly string[];
  /** Signatures needed, n/2 < k ≤ n. */
  readonly oracleThreshold: number;
  /** REGISTRAR_ROLE of the registry: registers generators and their meter keys. */
  readonly registrar: string;
  /** ISSUER_ROLE of the kWh token. */
  readonly issuer: string;
  /** TREASURY_ROLE of the USD token. */
  readonly treasury: string;
}

/** Deploy-time parameters (docs/contracts.md states each). */
export interface GridSwapParams {
  /** Length of a period, s: the oracle's one period constant. */
  readonly periodSeconds: number;
  /** A measurement is final this long after being reported, s (0 allowed). */
  readonly disputeWindowSeconds: number;
  /** Fills close this long before the delivery period starts, s. */
  readonly gateClosureSeconds: number;
  /** An unsettled position unwinds this long after its period ends, s. */
  readonly settlementGraceSeconds: number;
  /** Fills reach at most this many periods ahead (the book ring size). */
  readonly fillHorizonPeriods: number;
  /** Delivered fraction below which nothing is paid, bps. */
  readonly minDeliveredBps: number;
  /** Part of the shortfall's commitment forfeited to the centre, bps. */
  readonly penaltyBps: number;
}

export { DEFAULT_PERIOD_SECONDS } from "../grid/case/operation";

/** Production defaults: 30-minute periods, a one-period dispute window, no gate margin, 7-day grace. */
export function defaultParams(periodSeconds: number = DEFAULT_PERIOD_SECONDS): GridSwapParams {
  return {
    periodSeconds,
    disputeWindowSeconds: periodSeconds,
    gateClosureSeconds: 0,
    settlementGraceSeconds: 7 * 24 * 3600,
    fillHorizonPeriods: 48,
    minDeliveredBps: 5_000,
    penaltyBps: 5_000,
  };
}

/** Deploy-time terms of the bid book (IBidBook.Terms; the period and fill gate are the market's). */
export interface BidBookParams {
  /** Length of the reveal window after the bid gate, s. */
  readonly revealSeconds: number;
  /** From the end of the reveal window to the market's fill gate: study, selection, offers, fills, s. */
  readonly studySeconds: number;
  /** Highest price a bid step may ask, USD/MWh × 1e8. */
  readonly maxPriceUsdPerMWh: bigint;
}

/**
 * Highest bid price by default, USD/MWh: ten times seed34's master energy price and well below the
 * default limit-violation price (5,000), so a valid bid is always cheaper than an unmet limit.
 */
export const DEFAULT_MAX_BID_PRICE_USD_PER_MWH = 1_000;

/**
 * Default bid book terms: a reveal window of a sixth of a period (5 min of 30) and a study window
 * of one period, so bids for period D close 35 min before it (5 min before D − 1 starts), are
 * revealed in the last 5 min of D − 2, and the centre studies D at the start of D − 1, as it does.
 */
export function defaultBidParams(periodSeconds: number = DEFAULT_PERIOD_SECONDS): BidBookParams {
  return {
    revealSeconds: Math.max(1, Math.floor(periodSeconds / 6)),
    studySeconds: periodSeconds,
    maxPriceUsdPerMWh: usdPerMWhToUnits(DEFAULT_MAX_BID_PRICE_USD_PER_MWH),
  };
}

/**
 * Deploys the bid book for `market` from `deployer`: it reads the market's terms (period, fill
 * gate), registry and CENTRE_ROLE, and holds no role of its own. Waits for the deployment.
 */
export async function deployBidBook(
  deployer: Signer,
  market: DemandResponseMarket,
  params: Partial<BidBookParams> = {},
): Promise<BidBook> {
  const periodSeconds = Number((await market.terms()).periodSeconds);
  const p = { ...defaultBidParams(periodSeconds), ...params };
  const book = await new BidBook__factory(deployer).deploy(market, p);
  await book.waitForDeployment();
  return book;
}

/** Throws unless every role is held by a different, non-zero address. */
export function checkSeparateRoles(roles: GridSwapRoles): void {
  const holders: [string, string][] = [
    ["admin", roles.admin],
    ["registrar", roles.registrar],
    ["issuer", roles.issuer],
    ["treasury", roles.treasury],
    ...roles.centres.map((a, i): [string, string] => [`centres[${i}]`, a]),
    ...roles.oracleSigners.map((a, i): [string, string] => [`oracleSigners[${i}]`, a]),
  ];
  const seen = new Map<string, string>();
  for (const [role, address] of holders) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address) || BigInt(address) === 0n)
      throw new ConfigurationError(`deployGridSwap: ${role} must be a non-zero address, got '${address}'`);
    const key = address.toLowerCase();
    const other = seen.get(key);
    if (other)
      throw new ConfigurationError(
        `deployGridSwap: ${role} and ${other} are the same account ${address}; roles must be separate`,
      );
    seen.set(key, role);
  }
  const n = roles.oracleSigners.length;
  const k = roles.oracleThreshold;
  if (!Number.isInteger(k) || n === 0 || 2 * k <= n || k > n)
    throw new ConfigurationError(`deployGridSwap: oracle threshold ${k} of ${n} signers must satisfy n/2 < k ≤ n`);
}

/**
 * Deploys registry, USD and kWh tokens, oracle and market from `deployer` (who receives no role),
 * each role to its own account as given. Waits for every deployment.
 */
export async function deployGridSwap(
  deployer: Signer,
  roles: GridSwapRoles,
  params: Partial<GridSwapParams> = {},
): Promise<GridSwapContracts> {
  checkSeparateRoles(roles);
  const p = { ...defaultParams(params.periodSeconds), ...params };
  const registry = await new GeneratorRegistry__factory(deployer).deploy(roles.admin, roles.registrar);
  await registry.waitForDeployment();
  const usd = await new UsdToken__factory(deployer).deploy(roles.admin, roles.treasury);
  await usd.waitForDeployment();
  const kwh = await new KwhToken__factory(deployer).deploy(roles.admin, roles.issuer, registry);
  await kwh.waitForDeployment();
  const oracle = await new GridOracle__factory(deployer).deploy(
    [...roles.oracleSigners],
    roles.oracleThreshold,
    p.periodSeconds,
    p.disputeWindowSeconds,
    registry,
  );
  await oracle.waitForDeployment();
  const market = await new DemandResponseMarket__factory(deployer).deploy(
    roles.admin,
    [...roles.centres],
    usd,
    kwh,
    roles.treasury,
    oracle,
    registry,
    {
      gateClosureSeconds: p.gateClosureSeconds,
      settlementGraceSeconds: p.settlementGraceSeconds,
      fillHorizonPeriods: p.fillHorizonPeriods,
      minDeliveredBps: p.minDeliveredBps,
      penaltyBps: p.penaltyBps,
    },
  );
  await market.waitForDeployment();
  return { registry, usd, kwh, oracle, market };
}

/** A generator to register, issue capacity to and deposit into the vault. */
export interface GeneratorSeed {
  readonly signer: Signer;
  /** Grid node (bus number). */
  readonly node: number;
  /** Address of the key its revenue meter signs readings with (one generator per key). */
  readonly meterKey: string;
  /** Registered output capacity, W (bounds its nominations; at most 4,294,967,295 W). */
  readonly capacityW: number;
  /** kWh capacity issued, Wh. */
  readonly issueWh: bigint;
  /** Part of it deposited into the market's vault, Wh (approve + deposit). */
  readonly depositWh: bigint;
}

/** A centre to fund and deposit into the vault. */
export interface CentreSeed {
  readonly signer: Signer;
  /** USD minted, 1e-8 USD. */
  readonly mintUsd: bigint;
  /** Part of it deposited into the vault, 1e-8 USD. */
  readonly depositUsd: bigint;
}

/** The accounts holding the operational roles (signers). */
export interface OperatorSigners {
  readonly registrar: Signer;
  readonly issuer: Signer;
  readonly treasury: Signer;
}

async function send(tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  await (await tx).wait();
}

/**
 * Registers generators (node, meter key), issues their kWh capacity, mints the centres' USD and
 * deposits the given parts into the vault — one transaction at a time, in order, so it works on
 * any network and nonce manager.
 */
export async function seedGridSwap(
  c: GridSwapContracts,
  operators: OperatorSigners,
  plan: { generators?: readonly GeneratorSeed[]; centres?: readonly CentreSeed[] },
): Promise<void> {
  const marketAddress = await c.market.getAddress();
  for (const g of plan.generators ?? []) {
    if (g.depositWh > g.issueWh)
      throw new ConfigurationError(`seedGridSwap: deposit ${g.depositWh} Wh exceeds issue ${g.issueWh} Wh`);
    const address = await g.signer.getAddress();
    await send(c.registry.connect(operators.registrar).register(address, g.node, g.meterKey, g.capacityW));
    if (g.issueWh > 0n) await send(c.kwh.connect(operators.issuer).issue(address, g.issueWh));
    if (g.depositWh > 0n) {
      await send(c.kwh.connect(g.signer).approve(marketAddress, g.depositWh));
      await send(c.market.connect(g.signer).deposit(Asset.Kwh, g.depositWh));
    }
  }
  for (const centre of plan.centres ?? []) {
    if (centre.depositUsd > centre.mintUsd)
      throw new ConfigurationError(
        `seedGridSwap: deposit ${centre.depositUsd} exceeds mint ${centre.mintUsd} (1e-8 USD)`,
      );
    const address = await centre.signer.getAddress();
    if (centre.mintUsd > 0n) await send(c.usd.connect(operators.treasury).mint(address, centre.mintUsd));
    if (centre.depositUsd > 0n) {
      await send(c.usd.connect(centre.signer).approve(marketAddress, centre.depositUsd));
      await send(c.market.connect(centre.signer).deposit(Asset.Usd, centre.depositUsd));
    }
  }
}

/** Addresses of a deployment, as written to and read from deployments/<network>.json. */
export async function deploymentAddresses(c: GridSwapContracts): Promise<Record<keyof GridSwapContracts, string>> {
  return {
    registry: await c.registry.getAddress(),
    usd: await c.usd.getAddress(),
    kwh: await c.kwh.getAddress(),
    oracle: await c.oracle.getAddress(),
    market: await c.market.getAddress(),
  };
}

/**
 * Deploys and wires the five GridSwap contracts with ethers v6 (any EVM chain): registry, USD and
 * kWh tokens, oracle and market; grants the oracle and centre roles.
 */
import type { Signer } from "ethers";
import {
  DemandResponseMarket__factory,
  GeneratorRegistry__factory,
  GridOracle__factory,
  KwhToken__factory,
  UsdToken__factory,
  type DemandResponseMarket,
  type GeneratorRegistry,
  type GridOracle,
  type KwhToken,
  type UsdToken,
} from "../../typechain-types";

export interface GridSwapContracts {
  readonly registry: GeneratorRegistry;
  readonly usd: UsdToken;
  readonly kwh: KwhToken;
  readonly oracle: GridOracle;
  readonly market: DemandResponseMarket;
}

export interface DeployRoles {
  /** Account allowed to submit oracle reports. */
  readonly oracle: string;
  /** Account allowed to publish offers (the power quality centre). */
  readonly centre: string;
}

export async function deployGridSwap(admin: Signer, roles: DeployRoles): Promise<GridSwapContracts> {
  const adminAddress = await admin.getAddress();
  const registry = await new GeneratorRegistry__factory(admin).deploy(adminAddress);
  const usd = await new UsdToken__factory(admin).deploy(adminAddress);
  const kwh = await new KwhToken__factory(admin).deploy(adminAddress, registry);
  const oracle = await new GridOracle__factory(admin).deploy(adminAddress);
  const market = await new DemandResponseMarket__factory(admin).deploy(adminAddress, usd, kwh, oracle, registry);
  await Promise.all([registry, usd, kwh, oracle, market].map((c) => c.waitForDeployment()));
  await (await oracle.grantRole(await oracle.ORACLE_ROLE(), roles.oracle)).wait();
  await (await market.grantRole(await market.CENTRE_ROLE(), roles.centre)).wait();
  return { registry, usd, kwh, oracle, market };
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

/**
 * The grid operator's tasks, signed by the network's first account (the admin):
 * gridswap:deploy, gridswap:register, gridswap:issue, gridswap:mint.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  action,
  compileQuietly,
  connectDeployment,
  deploymentsRoot,
  fail,
  parseAddress,
  parseAmount,
  parseInteger,
  sent,
} from "./common";

const UINT32_MAX = 2 ** 32 - 1;

async function admin(hre: HardhatRuntimeEnvironment) {
  const signers = await hre.ethers.getSigners();
  if (signers.length === 0) {
    fail(`network '${hre.network.name}' has no accounts: set PRIVATE_KEY for the admin (see hardhat.config.ts)`);
  }
  return signers[0];
}

interface DeployArgs {
  oracle?: string;
  centre?: string;
}

task("gridswap:deploy", "Deploys GridSwap (admin: first account), grants the oracle and centre roles")
  .addOptionalParam("oracle", "Account allowed to submit oracle reports (default: the second account)")
  .addOptionalParam("centre", "Account allowed to publish offers (default: the third account)")
  .setAction(
    action<DeployArgs>(async (args, hre) => {
      const signer = await admin(hre);
      const signers = await hre.ethers.getSigners();
      const role = (value: string | undefined, flag: string, index: number): string => {
        if (value !== undefined) return parseAddress(hre, value, flag);
        if (index >= signers.length) {
          fail(
            `${flag} not given and network '${hre.network.name}' has no account #${index} to default to: pass ${flag} <address>`,
          );
        }
        return signers[index].address;
      };
      const oracle = role(args.oracle, "--oracle", 1);
      const centre = role(args.centre, "--centre", 2);
      await compileQuietly(hre);
      const { deployGridSwap, deploymentAddresses } = await import("../oracle/chain/deploy");
      const { writeDeployment } = await import("../oracle/chain/deployments");
      const contracts = await deployGridSwap(signer, { oracle, centre });
      const addresses = await deploymentAddresses(contracts);
      const { chainId } = await hre.ethers.provider.getNetwork();
      const path = writeDeployment(
        { network: hre.network.name, chainId: Number(chainId), deployedAt: new Date().toISOString(), addresses },
        deploymentsRoot(),
      );
      console.log(`GridSwap deployed on '${hre.network.name}' (chain ${chainId})`);
      for (const [name, address] of Object.entries(addresses)) console.log(`  ${name.padEnd(8)} ${address}`);
      console.log(`  admin    ${signer.address} (registrar, issuer, treasury)`);
      console.log(`  oracle   ${oracle} (ORACLE_ROLE)`);
      console.log(`  centre   ${centre} (CENTRE_ROLE)`);
      console.log(`wrote ${path}`);
      if (hre.network.name === "hardhat" && process.env.GRIDSWAP_DEPLOYMENTS_DIR === undefined) {
        console.log(
          "note: the in-process hardhat network ends with this command; use `npx hardhat node` and --network localhost",
        );
      }
    }),
  );

interface RegisterArgs {
  generator?: string;
  node?: string;
}

task("gridswap:register", "Registers a generator's wallet at a grid node (admin)")
  .addParam("generator", "The generator's wallet address")
  .addParam("node", "Grid node (bus number of the case)")
  .setAction(
    action<RegisterArgs>(async (args, hre) => {
      const generator = parseAddress(hre, args.generator, "--generator");
      const node = parseInteger(args.node, "--node", "a bus number", 1, UINT32_MAX);
      const { contracts } = await connectDeployment(hre);
      const current = await contracts.registry.nodeOf(generator);
      if (current !== 0n) fail(`generator ${generator} is already registered at node ${current}`);
      const signer = await admin(hre);
      const tx = await sent(contracts.registry.connect(signer).register(generator, node));
      console.log(`registered generator ${generator} at node ${node} (tx ${tx.hash}, ${tx.gas} gas)`);
    }),
  );

interface IssueArgs {
  generator?: string;
  kwh?: string;
}

task("gridswap:issue", "Issues kWh adjustment capacity to a registered generator (admin)")
  .addParam("generator", "The generator's wallet address (must be registered)")
  .addParam("kwh", "Capacity to issue, kWh (up to 3 decimals: Wh)")
  .setAction(
    action<IssueArgs>(async (args, hre) => {
      const generator = parseAddress(hre, args.generator, "--generator");
      const kwh = parseAmount(args.kwh, "--kwh", "kWh", 3);
      const { kwhToWh, whToKwh } = await import("../oracle/chain/units");
      const wh = kwhToWh(kwh);
      const { contracts } = await connectDeployment(hre);
      if ((await contracts.registry.nodeOf(generator)) === 0n) {
        fail(`generator ${generator} is not registered: run gridswap:register first`);
      }
      const signer = await admin(hre);
      const tx = await sent(contracts.kwh.connect(signer).issue(generator, wh));
      const balance = await contracts.kwh.balanceOf(generator);
      console.log(
        `issued ${whToKwh(wh)} kWh (${wh} Wh) to ${generator}; it now holds ${whToKwh(balance)} kWh (tx ${tx.hash}, ${tx.gas} gas)`,
      );
    }),
  );

interface MintArgs {
  to?: string;
  usd?: string;
}

task("gridswap:mint", "Mints USD tokens to an account (admin)")
  .addParam("to", "The receiving address")
  .addParam("usd", "Amount, USD (up to 8 decimals)")
  .setAction(
    action<MintArgs>(async (args, hre) => {
      const to = parseAddress(hre, args.to, "--to");
      const usd = parseAmount(args.usd, "--usd", "USD", 8);
      const { usdToUnits, USD_DECIMALS } = await import("../oracle/chain/units");
      const units = usdToUnits(usd);
      const { contracts } = await connectDeployment(hre);
      const signer = await admin(hre);
      const tx = await sent(contracts.usd.connect(signer).mint(to, units));
      const balance = await contracts.usd.balanceOf(to);
      console.log(
        `minted ${hre.ethers.formatUnits(units, USD_DECIMALS)} USD to ${to}; it now holds ${hre.ethers.formatUnits(balance, USD_DECIMALS)} USD (tx ${tx.hash}, ${tx.gas} gas)`,
      );
    }),
  );

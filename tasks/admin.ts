/**
 * The operator's tasks: gridswap:deploy (every role on its own account, recorded in the deployment
 * file), gridswap:register (registrar), gridswap:issue (issuer), gridswap:mint (treasury) and
 * gridswap:fund (gas for a new wallet on a devnet). Each role signs with <ROLE>_KEY (or a
 * keystore) or, on dev nodes, with the node's own account holding the role.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { DEFAULT_PERIOD_SECONDS } from "../oracle/grid/case/operation";
import {
  connectDeployment,
  deploymentsRoot,
  ensureCompiled,
  checkReachable,
  fail,
  fmtKwh,
  fmtUsd,
  gridswapTask,
  MAX_KWH_WH,
  MAX_USD_UNITS,
  parseAddress,
  parseInteger,
  parseUnitsExact,
  required,
  roleSigner,
  sent,
  accountAt,
  busRanges,
  DEFAULT_CASE,
  gridFor,
  gridOfCase,
  type RecordedRoles,
  chain,
} from "./common";

const UINT32_MAX = 2 ** 32 - 1;

/** Dev account index of each role by default (Anvil has 10 accounts, Hardhat 20; 0 deploys). */
export const DEFAULT_ROLE_INDEX = { admin: 1, centre: 2, oracle: 3, registrar: 4, issuer: 5, treasury: 6 } as const;
/** The oracle's default signers: three operators, accounts 3, 7 and 8 (2 of 3 sign a report). */
export const DEFAULT_ORACLE_ACCOUNTS = "3,7,8";

interface DeployArgs {
  admin?: string;
  centre?: string;
  oracle?: string;
  threshold?: string;
  registrar?: string;
  issuer?: string;
  treasury?: string;
  periodSeconds?: string;
  disputeWindowSeconds?: string;
  gateClosureSeconds?: string;
  graceSeconds?: string;
  case?: string;
  bids?: boolean;
}

/** A role holder given as a 0x address or as the index of one of the network's accounts. */
async function holder(hre: HardhatRuntimeEnvironment, value: string | undefined, flag: string, fallback: number) {
  const v = value?.trim();
  if (v !== undefined && v !== "" && !/^\d+$/.test(v)) return parseAddress(hre, v, flag);
  const index = v === undefined || v === "" ? fallback : parseInteger(v, flag, "an address or an account index");
  const signers = await hre.ethers.getSigners();
  if (index >= signers.length) {
    fail(
      `${flag}: network '${hre.network.name}' has ${signers.length} account(s), no account #${index} to default to: ` +
        `give ${flag} 0x<address>`,
    );
  }
  return signers[index].address;
}

gridswapTask<DeployArgs>(
  "deploy",
  "Deploys GridSwap with every role on its own account; writes deployments/<network>.json",
  [
    { name: "admin", description: "Admin of market, registry and tokens: address or account index (default 1)" },
    { name: "centre", description: "The power quality centre (CENTRE_ROLE): address or account index (default 2)" },
    {
      name: "oracle",
      description: `Oracle signers, one per operator: comma-separated addresses or account indices (default ${DEFAULT_ORACLE_ACCOUNTS})`,
    },
    { name: "threshold", description: "Oracle signatures needed per report, n/2 < k ≤ n (default: a majority)" },
    { name: "registrar", description: "Registers generators: address or account index (default 4)" },
    { name: "issuer", description: "Issues kWh capacity: address or account index (default 5)" },
    { name: "treasury", description: "Mints USD: address or account index (default 6)" },
    {
      name: "periodSeconds",
      description: `Market period, s (default ${DEFAULT_PERIOD_SECONDS}; the centre's case must match)`,
    },
    {
      name: "disputeWindowSeconds",
      description: "A measurement is final this long after its report, s (default: one period)",
    },
    { name: "gateClosureSeconds", description: "Fills close this long before the delivery period, s (default 0)" },
    {
      name: "graceSeconds",
      description: "An unmeasured position unwinds this long after its period, s (default 7 days)",
    },
    {
      name: "case",
      description: `The case the centre studies, recorded with its bus numbers: generators register at one (default ${DEFAULT_CASE})`,
    },
    {
      name: "bids",
      flag: true,
      description:
        "Also deploy a bid book (docs/bids.md): generators bid sealed, the centre selects among the revealed bids",
    },
  ],
  async (args, hre) => {
    const periodSeconds =
      args.periodSeconds === undefined
        ? DEFAULT_PERIOD_SECONDS
        : parseInteger(args.periodSeconds, "--period-seconds", "a number of seconds", 1, UINT32_MAX);
    const seconds = (v: string | undefined, flag: string): number | undefined =>
      v === undefined ? undefined : parseInteger(v, flag, "a number of seconds", 0, UINT32_MAX);
    const disputeWindowSeconds = seconds(args.disputeWindowSeconds, "--dispute-window-seconds");
    const gateClosureSeconds = seconds(args.gateClosureSeconds, "--gate-closure-seconds");
    const settlementGraceSeconds = seconds(args.graceSeconds, "--grace-seconds");
    await checkReachable(hre);
    const signers = await hre.ethers.getSigners();
    if (signers.length === 0) {
      fail(
        `network '${hre.network.name}' has no account to deploy from: set PRIVATE_KEY (0x + 64 hex digits) for --network devnet`,
      );
    }
    const deployer = signers[0];
    const oracleList = (args.oracle ?? DEFAULT_ORACLE_ACCOUNTS).split(",").map((s) => s.trim());
    const oracleSigners: string[] = [];
    for (const o of oracleList) oracleSigners.push(await holder(hre, o, "--oracle", DEFAULT_ROLE_INDEX.oracle));
    const n = oracleSigners.length;
    const threshold =
      args.threshold === undefined
        ? Math.floor(n / 2) + 1
        : parseInteger(args.threshold, "--threshold", "a number of signatures", 1, 32);
    if (2 * threshold <= n || threshold > n) {
      fail(`--threshold ${threshold} of ${n} oracle signer(s) must satisfy n/2 < k ≤ n`);
    }
    const roles: RecordedRoles = {
      deployer: deployer.address,
      admin: await holder(hre, args.admin, "--admin", DEFAULT_ROLE_INDEX.admin),
      centres: [await holder(hre, args.centre, "--centre", DEFAULT_ROLE_INDEX.centre)],
      oracleSigners,
      oracleThreshold: threshold,
      registrar: await holder(hre, args.registrar, "--registrar", DEFAULT_ROLE_INDEX.registrar),
      issuer: await holder(hre, args.issuer, "--issuer", DEFAULT_ROLE_INDEX.issuer),
      treasury: await holder(hre, args.treasury, "--treasury", DEFAULT_ROLE_INDEX.treasury),
    };
    await ensureCompiled(hre);
    const grid = await gridOfCase(hre, args.case ?? DEFAULT_CASE, "--case");
    const { checkSeparateRoles, deployGridSwap, deploymentAddresses } = await chain(hre);
    const { deploymentPath, writeDeployment } = await chain(hre);
    try {
      checkSeparateRoles(roles);
    } catch (e) {
      fail(
        (e as Error).message
          .replace(/^deployGridSwap: /, "")
          .replace("centres[0]", "centre")
          .replace(/oracleSigners\[\d+\]/, "an oracle signer"),
      );
    }
    const held = [roles.admin, roles.registrar, roles.issuer, roles.treasury, ...roles.centres, ...roles.oracleSigners];
    if (held.some((a) => a.toLowerCase() === deployer.address.toLowerCase())) {
      fail(`the deployer ${deployer.address} must hold no role: pick other accounts for the roles`);
    }
    const deployBlock = (await hre.ethers.provider.getBlockNumber()) + 1;
    const contracts = await deployGridSwap(deployer, roles, {
      periodSeconds,
      ...(disputeWindowSeconds !== undefined && { disputeWindowSeconds }),
      ...(gateClosureSeconds !== undefined && { gateClosureSeconds }),
      ...(settlementGraceSeconds !== undefined && { settlementGraceSeconds }),
    });
    const core = await deploymentAddresses(contracts);
    const { deployBidBook } = await chain(hre);
    const addresses = args.bids
      ? { ...core, bids: await (await deployBidBook(deployer, contracts.market)).getAddress() }
      : core;
    const { chainId } = await hre.ethers.provider.getNetwork();
    const file = {
      network: hre.network.name,
      chainId: Number(chainId),
      deployedAt: new Date().toISOString(),
      deployBlock,
      periodSeconds,
      addresses,
      roles,
      grid,
    };
    const path = writeDeployment(file, deploymentPath(hre.network.name, deploymentsRoot()));
    console.log(
      `GridSwap deployed on '${hre.network.name}' (chain ${chainId}) from block ${deployBlock}, ${periodSeconds}-s periods`,
    );
    for (const [name, address] of Object.entries(addresses)) console.log(`  ${name.padEnd(9)} ${address}`);
    console.log(`  deployer  ${roles.deployer} (holds no role)`);
    console.log(`  admin     ${roles.admin}`);
    console.log(`  centre    ${roles.centres[0]} (CENTRE_ROLE)`);
    console.log(`  oracle    ${roles.oracleSigners.join(", ")} (${threshold} of ${n})`);
    console.log(`  registrar ${roles.registrar}`);
    console.log(`  issuer    ${roles.issuer}`);
    console.log(`  treasury  ${roles.treasury}`);
    console.log(`  grid      ${grid.case} (${grid.file}): buses ${busRanges(grid.buses)}`);
    console.log(`wrote ${path}`);
    if (hre.network.name === "hardhat" && process.env.GRIDSWAP_DEPLOYMENTS_DIR === undefined) {
      console.log(
        "note: the in-process hardhat network ends with this command; start a node and use --network localhost",
      );
    }
  },
);

interface RegisterArgs {
  generator?: string;
  node?: string;
  meter?: string;
  capacityKw?: string;
  case?: string;
}

gridswapTask<RegisterArgs>(
  "register",
  "Registers a generator's wallet at a grid node with its meter's key and output capacity (registrar)",
  [
    { name: "generator", description: "The generator's wallet address" },
    { name: "node", description: "Grid node: a bus number of the case the deployment recorded" },
    { name: "meter", description: "Address of the key its revenue meter signs readings with (one generator per key)" },
    {
      name: "capacityKw",
      description: "Its registered output capacity, kW (bounds the baseline it may nominate; up to 4,294,967 kW)",
    },
    {
      name: "case",
      description: `The case whose buses --node must be one of (default: the deployment's, else ${DEFAULT_CASE})`,
    },
  ],
  async (args, hre) => {
    const generator = parseAddress(hre, args.generator, "--generator");
    const node = parseInteger(args.node, "--node", "a bus number", 1, UINT32_MAX);
    const meter = parseAddress(hre, args.meter, "--meter");
    const capacityW = parseUnitsExact(args.capacityKw ?? "", "--capacity-kw", "kW", 3, 4_294_967_295n);
    const c = await connectDeployment(hre);
    // The registry knows no grid: the node must be a bus of the case the centre studies.
    const { grid, how } = await gridFor(hre, c.file, args.case);
    if (!grid.buses.includes(node)) {
      fail(
        `--node ${node}: ${grid.case} (${grid.file}, ${how}) has no bus ${node}; its buses: ${busRanges(grid.buses)}`,
      );
    }
    const current = await c.contracts.registry.nodeOf(generator);
    if (current !== 0n) fail(`--generator ${generator} is already registered at node ${current}`);
    const owner = await c.contracts.registry.generatorOfMeter(meter);
    if (owner !== hre.ethers.ZeroAddress) fail(`--meter ${meter} is already the meter key of generator ${owner}`);
    const signer = await roleSigner(hre, c, "registrar", c.roles?.registrar);
    const tx = await sent(c.contracts.registry.connect(signer).register(generator, node, meter, capacityW));
    console.log(
      `registered generator ${generator} at node ${node}, meter key ${meter}, capacity ${fmtKwh(capacityW)} kW ` +
        `(tx ${tx.hash}, ${tx.gas} gas)`,
    );
  },
);

interface IssueArgs {
  generator?: string;
  kwh?: string;
}

gridswapTask<IssueArgs>(
  "issue",
  "Issues kWh adjustment capacity to a registered generator (issuer)",
  [
    { name: "generator", description: "The generator's wallet address (registered)" },
    { name: "kwh", description: "Capacity to issue, kWh (up to 3 decimals: Wh)" },
  ],
  async (args, hre) => {
    const generator = parseAddress(hre, args.generator, "--generator");
    const wh = parseUnitsExact(args.kwh, "--kwh", "kWh", 3, MAX_KWH_WH);
    const c = await connectDeployment(hre);
    if ((await c.contracts.registry.nodeOf(generator)) === 0n) {
      fail(`--generator ${generator} is not registered: run gridswap:register first`);
    }
    const signer = await roleSigner(hre, c, "issuer", c.roles?.issuer);
    const tx = await sent(c.contracts.kwh.connect(signer).issue(generator, wh));
    const balance = await c.contracts.kwh.balanceOf(generator);
    console.log(
      `issued ${fmtKwh(wh)} kWh to ${generator}; its wallet holds ${fmtKwh(balance)} kWh (tx ${tx.hash}, ${tx.gas} gas)`,
    );
  },
);

interface MintArgs {
  to?: string;
  usd?: string;
}

gridswapTask<MintArgs>(
  "mint",
  "Mints USD to an account, e.g. the centre (treasury)",
  [
    { name: "to", description: "The receiving address" },
    { name: "usd", description: "Amount, USD (up to 8 decimals)" },
  ],
  async (args, hre) => {
    const to = parseAddress(hre, args.to, "--to");
    const units = parseUnitsExact(args.usd, "--usd", "USD", 8, MAX_USD_UNITS);
    const c = await connectDeployment(hre);
    const signer = await roleSigner(hre, c, "treasury", c.roles?.treasury);
    const tx = await sent(c.contracts.usd.connect(signer).mint(to, units));
    const balance = await c.contracts.usd.balanceOf(to);
    console.log(
      `minted ${fmtUsd(units)} USD to ${to}; its wallet holds ${fmtUsd(balance)} USD (tx ${tx.hash}, ${tx.gas} gas)`,
    );
  },
);

interface FundArgs {
  to?: string;
  eth?: string;
  from?: string;
}

gridswapTask<FundArgs>(
  "fund",
  "Sends gas money (ETH) to a wallet, e.g. a new generator's, from the network's first account (devnets)",
  [
    { name: "to", description: "The wallet to fund" },
    { name: "eth", description: "Amount, ETH (default 1)" },
    { name: "from", description: "Account index that pays (default 0: the deployer, or PRIVATE_KEY on devnet)" },
  ],
  async (args, hre) => {
    const to = parseAddress(hre, args.to, "--to");
    const wei = parseUnitsExact(args.eth ?? "1", "--eth", "ETH", 18, 10n ** 30n);
    await checkReachable(hre);
    const index =
      args.from === undefined
        ? 0
        : parseInteger(required(args.from, "--from", "an account index"), "--from", "an account index");
    const payer = await accountAt(hre, index, args.from === undefined ? "the paying account" : "--from");
    const balance = await hre.ethers.provider.getBalance(payer.address);
    if (balance < wei) {
      fail(
        `the paying account ${payer.address} holds ${hre.ethers.formatEther(balance)} ETH, less than --eth ${args.eth ?? "1"}`,
      );
    }
    const tx = await sent(payer.sendTransaction({ to, value: wei }));
    const now = await hre.ethers.provider.getBalance(to);
    console.log(
      `sent ${hre.ethers.formatEther(wei)} ETH from ${payer.address} to ${to}; it holds ${hre.ethers.formatEther(now)} ETH (tx ${tx.hash})`,
    );
  },
);

/**
 * The gridswap:* Hardhat tasks, run in-process with hre.run on the hardhat network: a whole
 * market cycle from the terminal (deploy → register → issue → mint → period → offers → accept →
 * next period → balances → history), and a one-line error for every kind of bad input.
 * Deployment files go to a temp dir through GRIDSWAP_DEPLOYMENTS_DIR.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatNetworkHDAccountsConfig } from "hardhat/types";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { HDNodeWallet, Wallet } from "ethers";
import { DemandResponseMarket__factory, KwhToken__factory, UsdToken__factory } from "../../typechain-types";
import type { DeploymentFile } from "../../oracle/chain/deployments";
import { PERIOD_SECONDS } from "../../oracle/chain/units";

const ENV = ["GRIDSWAP_DEPLOYMENTS_DIR", "ORACLE_KEY", "CENTRE_KEY", "GEN_KEY", "UNSET_KEY_FOR_TEST"] as const;

/** Runs a task and returns what it printed with console.log. */
async function run(name: string, args: Record<string, unknown> = {}): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(" "));
  };
  try {
    await hre.run(name, args);
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

/** Runs a task expecting it to fail with one line (a HardhatPluginError) matching `pattern`. */
async function runError(name: string, args: Record<string, unknown>, pattern: RegExp): Promise<string> {
  let error: unknown;
  try {
    await run(name, args);
  } catch (e) {
    error = e;
  }
  expect(error, `${name} ${JSON.stringify(args)} should fail`).to.be.instanceOf(HardhatPluginError);
  const message = (error as Error).message;
  if (!pattern.test(message)) console.error(message);
  expect(message).to.match(pattern);
  expect(message, "one line").not.to.include("\n");
  return message;
}

/** Moves the chain to the start of the next 30-minute period. */
async function nextPeriod(): Promise<number> {
  const period = Math.floor((await time.latest()) / PERIOD_SECONDS) + 1;
  await time.increaseTo(period * PERIOD_SECONDS);
  return period;
}

/** Private key of Hardhat's dev account `index` (for the ORACLE_KEY / CENTRE_KEY path). */
function devKey(index: number): string {
  const accounts = hre.config.networks.hardhat.accounts as HardhatNetworkHDAccountsConfig;
  return HDNodeWallet.fromPhrase(accounts.mnemonic, accounts.passphrase, `${accounts.path}/${index}`).privateKey;
}

describe("gridswap tasks", () => {
  const saved: Partial<Record<(typeof ENV)[number], string>> = {};
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "gridswap-tasks-"));
    dirs.push(dir);
    return dir;
  };

  before(() => {
    for (const name of ENV) saved[name] = process.env[name];
  });
  beforeEach(() => {
    for (const name of ENV) delete process.env[name];
    process.env.GRIDSWAP_DEPLOYMENTS_DIR = tempDir();
  });
  after(() => {
    for (const name of ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("run a market cycle: deploy, register, issue, mint, period, offers, accept, period, balances, history", async () => {
    const [admin, oracle, centre, gen27] = await hre.ethers.getSigners();
    await nextPeriod();

    const deployed = await run("gridswap:deploy");
    const path = join(process.env.GRIDSWAP_DEPLOYMENTS_DIR as string, "deployments", "hardhat.json");
    expect(deployed).to.include(`wrote ${path}`);
    const file = JSON.parse(readFileSync(path, "utf8")) as DeploymentFile;
    expect(file.network).to.equal("hardhat");
    expect(file.chainId).to.equal(31337);
    expect(deployed).to.include(`market   ${file.addresses.market}`);
    expect(deployed).to.include(`oracle   ${oracle.address} (ORACLE_ROLE)`);
    expect(deployed).to.include(`centre   ${centre.address} (CENTRE_ROLE)`);
    const market = DemandResponseMarket__factory.connect(file.addresses.market, admin);
    const usd = UsdToken__factory.connect(file.addresses.usd, admin);
    const kwh = KwhToken__factory.connect(file.addresses.kwh, admin);

    expect(await run("gridswap:register", { generator: gen27.address, node: "27" })).to.match(
      new RegExp(`registered generator ${gen27.address} at node 27`),
    );
    expect(await run("gridswap:issue", { generator: gen27.address, kwh: "100" })).to.include(
      `issued 100 kWh (100000 Wh) to ${gen27.address}`,
    );
    expect(await run("gridswap:mint", { to: centre.address, usd: "100" })).to.include(
      `minted 100.0 USD to ${centre.address}`,
    );
    expect(await kwh.balanceOf(gen27.address)).to.equal(100_000n);
    expect(await usd.balanceOf(centre.address)).to.equal(100n * 10n ** 8n);

    // Period 1: Table I violations, reported; the offer to gen 27 published with USD escrow.
    const first = await run("gridswap:period", { case: "cases/seed34.json" });
    expect(first).to.include("3 line(s) over their limits");
    expect(first).to.include("report: submitted");
    expect(first).to.match(/published offer #1: decrease 10\.372 kWh at node 27/);
    expect(first).to.include("published: #1");
    expect(await market.offerCount()).to.equal(1n);

    const board = await run("gridswap:offers");
    expect(board.split("\n")[0]).to.match(
      /^id\s+status\s+direction\s+kWh\s+USD\s+USD\/kWh\s+node\s+period\s+expiry\s+generator$/,
    );
    expect(board).to.match(
      /#1\s+Open\s+decrease\s+10\.372\s+0\.155\d{5}\s+0\.015000\s+27\s+\d+\s+\S+Z\s+any at node 27/,
    );

    // Wallets that cannot take it are refused before any transaction.
    await runError(
      "gridswap:accept",
      { id: "1", accountIndex: "4" },
      /is not a registered generator; offer #1 is for node 27/,
    );
    const stranger = Wallet.createRandom();
    process.env.GEN_KEY = stranger.privateKey;
    const refused = await runError("gridswap:accept", { id: "1", keyEnv: "GEN_KEY" }, /not a registered generator/);
    expect(refused).to.include(stranger.address).and.not.to.include(stranger.privateKey);

    const accepted = await run("gridswap:accept", { id: "1", accountIndex: "3" });
    expect(accepted).to.match(/advice of the default policy .*: ACCEPT — pays 0\.015000 USD\/kWh/);
    expect(accepted).to.include("accepting, as asked");
    expect(accepted).to.include(`approved the market to take 10.372 kWh from ${gen27.address}`);
    expect(accepted).to.include(`offer #1 accepted by ${gen27.address}: 10.372 kWh escrowed`);
    expect(await run("gridswap:offers")).to.match(new RegExp(`#1\\s+Accepted\\s+decrease.*${gen27.address}`));
    expect(await run("gridswap:offers", { open: true })).to.equal("no open offers");
    await runError("gridswap:accept", { id: "1", accountIndex: "3" }, /offer #1 is Accepted, not open/);
    expect(await run("gridswap:history")).to.equal("no offer has been settled, cancelled, refunded or unwound yet");

    // Period 2, signed with keys from the environment: the delivery is measured and settled.
    await nextPeriod();
    process.env.ORACLE_KEY = devKey(1);
    process.env.CENTRE_KEY = devKey(2);
    const usdBefore = await usd.balanceOf(gen27.address);
    const second = await run("gridswap:period", {});
    expect(second).to.include(`oracle ${oracle.address}, centre ${centre.address}`);
    expect(second).to.include("no line over its limit");
    expect(second).to.match(new RegExp(`measured delivery: ${gen27.address} in period \\d+: -10\\.372 kWh`));
    expect(second).to.include("settled: #1");
    expect(second).to.include("published: none");
    const offer = await market.getOffer(1);
    expect(offer.status).to.equal(3n); // Settled
    expect(await usd.balanceOf(gen27.address)).to.equal(usdBefore + offer.usdAmount);

    const usdText = hre.ethers.formatUnits(offer.usdAmount, 8);
    const balances = await run("gridswap:balances");
    expect(balances).to.match(
      new RegExp(`${gen27.address}\\s+generator\\s+27\\s+${usdText.replace(".", "\\.")}\\s+89\\.628`),
    );
    expect(balances).to.match(new RegExp(`${centre.address}\\s+centre\\s+\\d+\\.\\d+\\s+10\\.372`));
    expect(balances).to.match(new RegExp(`${file.addresses.market}\\s+market escrow\\s+0\\.0\\s+0\\.0`));
    const one = await run("gridswap:balances", { address: gen27.address });
    expect(one.split("\n")).to.have.length(2);

    const history = await run("gridswap:history");
    expect(history).to.match(
      new RegExp(
        `^#1 \\S+Z \\(block \\d+\\) settled: 10\\.372 kWh of 10\\.372 kWh delivered by ${gen27.address}; ` +
          `${usdText.replace(".", "\\.")} USD to the generator, 0\\.0 USD and 10\\.372 kWh to the centre ${centre.address}$`,
      ),
    );
  });

  it("name the problem in one line for every bad input", async () => {
    const [admin, oracle, centre] = await hre.ethers.getSigners();
    const address = oracle.address;

    // Missing deployment file, and one written for another chain.
    await runError("gridswap:offers", {}, /no deployment for network 'hardhat'.*run the deploy task first/);
    await runError("gridswap:mint", { to: address, usd: "1" }, /no deployment for network 'hardhat'/);
    const other = tempDir();
    mkdirSync(join(other, "deployments"));
    writeFileSync(
      join(other, "deployments", "hardhat.json"),
      JSON.stringify({ network: "hardhat", chainId: 1, deployedAt: "", addresses: {} }),
    );
    process.env.GRIDSWAP_DEPLOYMENTS_DIR = other;
    await runError("gridswap:balances", {}, /is for chain 1, but the RPC endpoint is chain 31337/);
    process.env.GRIDSWAP_DEPLOYMENTS_DIR = tempDir();

    await runError("gridswap:deploy", { oracle: "0xnope" }, /^--oracle: '0xnope' is not an address/);
    await run("gridswap:deploy");

    // Addresses, numbers and amounts.
    await runError("gridswap:register", { generator: "bob", node: "27" }, /^--generator: 'bob' is not an address/);
    const badChecksum = address.replace(/[a-f]/, (c) => c.toUpperCase());
    await runError("gridswap:register", { generator: badChecksum, node: "27" }, /has a bad checksum/);
    await runError("gridswap:register", { generator: address, node: "x27" }, /^--node: 'x27' is not a bus number/);
    await runError("gridswap:register", { generator: address, node: "0" }, /^--node: 0 is out of range/);
    await run("gridswap:register", { generator: address, node: "27" });
    await runError("gridswap:register", { generator: address, node: "5" }, /is already registered at node 27/);
    await runError(
      "gridswap:issue",
      { generator: address, kwh: "ten" },
      /^--kwh: 'ten' is not a positive number of kWh/,
    );
    await runError("gridswap:issue", { generator: address, kwh: "-1" }, /^--kwh: '-1' is not a positive number/);
    await runError("gridswap:issue", { generator: address, kwh: "0" }, /^--kwh: '0' must be more than 0 kWh/);
    await runError("gridswap:issue", { generator: address, kwh: "1.2345" }, /more than 3 decimals/);
    await runError(
      "gridswap:issue",
      { generator: centre.address, kwh: "1" },
      /is not registered: run gridswap:register/,
    );
    await runError("gridswap:mint", { to: "0x12", usd: "1" }, /^--to: '0x12' is not an address/);
    await runError("gridswap:mint", { to: address, usd: "1e3" }, /^--usd: '1e3' is not a positive number of USD/);
    await runError("gridswap:mint", { to: address, usd: "0.000000001" }, /more than 8 decimals/);
    await runError("gridswap:balances", { address: `${address},nobody` }, /^--address: 'nobody' is not an address/);
    await runError("gridswap:mint", { to: hre.ethers.ZeroAddress, usd: "1" }, /^--to: the zero address cannot/);

    // A revert the tasks do not check beforehand is decoded, roles by name.
    const file = JSON.parse(
      readFileSync(join(process.env.GRIDSWAP_DEPLOYMENTS_DIR as string, "deployments", "hardhat.json"), "utf8"),
    ) as DeploymentFile;
    const usd = UsdToken__factory.connect(file.addresses.usd, admin);
    await (await usd.renounceRole(await usd.TREASURY_ROLE(), admin.address)).wait();
    await runError(
      "gridswap:mint",
      { to: address, usd: "1" },
      new RegExp(`^transaction reverted: AccessControlUnauthorizedAccount\\(${admin.address}, TREASURY_ROLE\\)$`),
    );
    await (await usd.grantRole(await usd.TREASURY_ROLE(), admin.address)).wait();

    // Offers and wallets.
    await runError(
      "gridswap:accept",
      { id: "1", accountIndex: "3" },
      /^offer #1 does not exist \(no offers published yet\)/,
    );
    await runError("gridswap:accept", { id: "one", accountIndex: "3" }, /^--id: 'one' is not an offer id/);
    await nextPeriod();
    await runError("gridswap:period", {}, /the centre 0x[0-9a-fA-F]{40} holds 0\.0 USD, too little to escrow/);
    await run("gridswap:mint", { to: centre.address, usd: "10" });
    const resumed = await run("gridswap:period", {});
    expect(resumed).to.include("report: already on chain, not resubmitted");
    expect(resumed).to.include("published: #1");
    await runError(
      "gridswap:accept",
      { id: "7", accountIndex: "3" },
      /^offer #7 does not exist \(ids run from 1 to 1\)/,
    );
    await runError("gridswap:accept", { id: "1" }, /^no wallet given: use --key-env NAME/);
    await runError("gridswap:accept", { id: "1", keyEnv: "GEN_KEY", accountIndex: "3" }, /^give one wallet/);
    await runError("gridswap:accept", { id: "1", keyEnv: "UNSET_KEY_FOR_TEST" }, /^UNSET_KEY_FOR_TEST is not set$/);
    process.env.GEN_KEY = "0x1234";
    await runError("gridswap:accept", { id: "1", keyEnv: "GEN_KEY" }, /^GEN_KEY is not a private key/);
    await runError("gridswap:accept", { id: "1", keystore: "/nonexistent/key.json" }, /cannot read keystore/);
    await runError(
      "gridswap:accept",
      { id: "1", accountIndex: "99" },
      /^--account-index 99: network 'hardhat' has 20 account/,
    );

    // The centre's period: case file, forecasts, signers without their roles.
    await runError("gridswap:period", { case: "cases/nope.json" }, /^--case: no such file .*cases\/nope\.json$/);
    await runError("gridswap:period", { forecast: "34:0.5" }, /^--forecast: '34:0\.5' is not BUS=MW/);
    await runError("gridswap:period", { forecast: "34=0.5,34=0.4" }, /bus 34 is given twice/);
    await runError("gridswap:period", { oracleIndex: "3" }, /does not hold ORACLE_ROLE on the oracle/);
    await runError("gridswap:period", { centreIndex: "0" }, /does not hold CENTRE_ROLE on the market/);
    await runError("gridswap:period", { forecast: "99=0.1" }, /forecast for bus 99: the case has no such bus/);
  });
});

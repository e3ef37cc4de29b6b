/**
 * The gridswap:* Hardhat tasks.
 *
 * 1. In process (hre.run on the hardhat network): a whole trade from the terminal — deploy with
 *    separate roles → register with a meter key → issue → fund → mint → deposit → advance →
 *    period (the centre agent's step, simulated meters) → offers → fill → advance → period
 *    (measurement) → advance → period (settlement) → history and balances — checked on chain.
 * 2. As processes, the way a person runs them on a headless machine (no DISPLAY, where Hardhat
 *    prints stack traces by default): representative bad inputs each give exactly one stderr line
 *    `gridswap:<task>: <message>` naming the flag or setting, and exit status 1.
 * Deployment files go to a temp dir through GRIDSWAP_DEPLOYMENTS_DIR.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { Wallet } from "ethers";
import { freePort } from "../../scripts/devnet";

const ROOT = join(__dirname, "..", "..");
const ENV = ["GRIDSWAP_DEPLOYMENTS_DIR", "GENERATOR_KEY", "CENTRE_KEY", "ORACLE_KEY", "ORACLE_KEYS"] as const;

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

/** Runs a task expecting one line `gridswap:<task>: …` matching `pattern`. */
async function runError(name: string, args: Record<string, unknown>, pattern: RegExp): Promise<string> {
  let error: unknown;
  try {
    await run(name, args);
  } catch (e) {
    error = e;
  }
  expect(error, `${name} ${JSON.stringify(args)} should fail`).to.be.instanceOf(HardhatPluginError);
  const message = (error as Error).message;
  expect(message).to.match(pattern);
  expect(message.startsWith(`${name}: `), message).to.equal(true);
  expect(message, "one line").not.to.include("\n");
  return message;
}

describe("gridswap:* tasks", function () {
  const saved: Partial<Record<(typeof ENV)[number], string>> = {};
  let dir: string;

  before(function () {
    for (const k of ENV) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
    dir = mkdtempSync(join(tmpdir(), "gridswap-tasks-"));
    process.env.GRIDSWAP_DEPLOYMENTS_DIR = dir;
  });

  after(function () {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a whole trade from the terminal: deploy to settlement, checked on chain", async function () {
    const signers = await hre.ethers.getSigners();
    const generator = signers[9];
    const meter = signers[10].address;

    const deployed = await run("gridswap:deploy");
    expect(deployed).to.match(/deployed on 'hardhat'/);
    const file = JSON.parse(readFileSync(join(dir, "deployments", "hardhat.json"), "utf8"));
    expect(file.periodSeconds).to.equal(1800);
    expect(file.deployBlock).to.be.a("number");
    expect(file.roles.centres[0]).to.equal(signers[2].address);
    // Three independent oracle operators, two of three signatures per report.
    expect(file.roles.oracleSigners).to.deep.equal([signers[3], signers[7], signers[8]].map((x) => x.address));
    expect(file.roles.deployer).to.equal(signers[0].address);
    // The grid the centre studies, recorded: the registry knows no grid, nodes are checked against it.
    expect(file.grid).to.deep.include({ case: "seed34", file: "cases/seed34.json" });
    expect(file.grid.buses).to.deep.equal(Array.from({ length: 34 }, (_, i) => i + 1));
    const market = await hre.ethers.getContractAt("DemandResponseMarket", file.addresses.market);
    const registry = await hre.ethers.getContractAt("GeneratorRegistry", file.addresses.registry);
    expect(await market.hasRole(await market.CENTRE_ROLE(), signers[2].address)).to.equal(true);
    expect(await market.hasRole(await market.DEFAULT_ADMIN_ROLE(), signers[0].address)).to.equal(false);

    await runError(
      "gridswap:register",
      { generator: generator.address, node: "999", meter, capacityKw: "1000" },
      /--node 999: seed34 \(cases\/seed34\.json, the deployment's case\) has no bus 999; its buses: 1–34$/,
    );
    await runError(
      "gridswap:register",
      { generator: generator.address, node: "27", meter, capacityKw: "1000", case: "cases/wscc9.json" },
      /--node 27: wscc9 \(cases\/wscc9\.json, --case\) has no bus 27; its buses: 1–9$/,
    );
    await runError(
      "gridswap:register",
      { generator: generator.address, node: "27", meter },
      /--capacity-kw is required: an amount in kW/,
    );
    await run("gridswap:register", { generator: generator.address, node: "27", meter, capacityKw: "1000" });
    expect(await registry.generatorOf(generator.address)).to.deep.equal([27n, meter, 1_000_000n, 1n]);
    await runError(
      "gridswap:register",
      { generator: generator.address, node: "27", meter, capacityKw: "1000" },
      /already registered at node 27/,
    );
    await run("gridswap:issue", { generator: generator.address, kwh: "100" });
    await run("gridswap:fund", { to: generator.address, eth: "0.5" });
    // Amounts as people type them, scientific notation included, read exactly.
    expect(await run("gridswap:mint", { to: signers[2].address, usd: "1e3" })).to.match(/^minted 1000\.00000000 USD/);
    expect(await run("gridswap:deposit", { usd: "500" })).to.match(/deposited 500\.00000000 USD for 0x3C44/);
    await run("gridswap:deposit", { kwh: "60", accountIndex: "9" });
    expect(await market.balancesOf(generator.address)).to.deep.equal([0n, 60_000n]);
    await runError(
      "gridswap:withdraw",
      { kwh: "61", accountIndex: "9" },
      /60\.000 kWh free in the vault, less than 61\.000 kWh/,
    );

    const state = join(dir, "centre.json");
    await run("gridswap:advance");
    const step = await run("gridswap:period", { simulateMeters: true, state });
    expect(step).to.match(/report: submitted/);
    expect(step).to.match(/posted 0x[0-9a-f]{64}: node 27, lower 1\.953 kWh/);
    const offers = await run("gridswap:offers", { open: true });
    const line = offers.split("\n").find((l) => /\s27\s/.test(l) && /Decrease/.test(l));
    expect(line, offers).to.not.equal(undefined);
    const offerHash = (line as string).split(/\s+/)[0];
    expect(line).to.match(/Open\s+Decrease\s+1\.953\s+0\.02929409\s+0\.015000\s+27/);

    await runError(
      "gridswap:fill",
      { offer: offerHash, accountIndex: "8" },
      /not a registered generator; the offer is for node 27/,
    );
    await runError(
      "gridswap:fill",
      { offer: offerHash, accountIndex: "9", kwh: "3" },
      /--kwh 3\.000: at most 1\.953 kWh/,
    );
    await runError(
      "gridswap:fill",
      { offer: offerHash, accountIndex: "9" },
      /--planned-kwh is required: your planned output in period \d+ without the trade/,
    );
    await runError(
      "gridswap:fill",
      { offer: offerHash, accountIndex: "9", plannedKwh: "600" },
      /--planned-kwh 600\.000: above your registered capacity over a period \(500\.000 kWh\)/,
    );
    const filled = await run("gridswap:fill", { offer: offerHash, accountIndex: "9", plannedKwh: "300" });
    expect(filled).to.match(
      /filled 1\.953 kWh of offer .* for 0\.02929409 USD on full delivery; commitment in the period 1\.953 kWh against a nominated 300\.000 kWh/,
    );
    await runError("gridswap:fill", { offer: offerHash, accountIndex: "9" }, /is (Filled|NonceUsed), not open/);
    // The board shows the whole fill: filled kWh from the offer's Filled events (the market keeps no count of a whole fill).
    const board = (await run("gridswap:offers", { json: true })).split("\n").map((l) => JSON.parse(l));
    const mine = board.find((o) => o.offerHash === offerHash);
    expect(mine.status).to.match(/^(Filled|NonceUsed)$/);
    expect(mine.filledWh).to.equal("1953");
    const table = (await run("gridswap:offers")).split("\n").find((l) => l.startsWith(offerHash));
    expect(table).to.match(/\s1\.953$/);

    await run("gridswap:advance", { periods: "2" }); // past the delivery period
    expect(await run("gridswap:period", { simulateMeters: true, state })).to.match(
      /measured 0x[0-9a-fA-F]{40} in period \d+: delivered -1\.953 kWh/,
    );
    await run("gridswap:advance", { offsetSeconds: "120" }); // one dispute window after the report
    expect(await run("gridswap:period", { simulateMeters: true, state })).to.match(/settled: 0x[0-9a-fA-F]{40}@\d+/);

    const history = await run("gridswap:history", { json: true });
    const books = history.split("\n").map((l) => JSON.parse(l));
    expect(books).to.have.length(1);
    expect(books[0].state).to.equal("settled");
    expect(books[0].commitment.nominatedWh).to.equal("300000");
    expect(books[0].settlement.usdToGenerator).to.equal("2929409");
    expect(books[0].settlement.deliveredWh).to.equal("1953");
    expect(await market.balancesOf(generator.address)).to.deep.equal([2_929_409n, 60_000n - 1_953n]);
    const balances = await run("gridswap:balances", { address: generator.address });
    expect(balances).to.match(/0\.02929409\s+58\.047/);

    // A new wallet with no gas is refused before any transaction, with the task that funds it.
    process.env.UNFUNDED_KEY = Wallet.createRandom().privateKey;
    try {
      await runError(
        "gridswap:deposit",
        { kwh: "1", keyEnv: "UNFUNDED_KEY" },
        /the wallet 0x[0-9a-fA-F]{40} has no ETH to pay for gas: gridswap:fund --to 0x/,
      );
    } finally {
      delete process.env.UNFUNDED_KEY;
    }
  });

  it("gridswap:deploy --bids: a bid book bound to the market, recorded in the deployment file", async function () {
    const out = await run("gridswap:deploy", { bids: true });
    expect(out).to.match(/bids\s+0x[0-9a-fA-F]{40}/);
    const file = JSON.parse(readFileSync(join(dir, "deployments", "hardhat.json"), "utf8"));
    const book = await hre.ethers.getContractAt("BidBook", file.addresses.bids);
    expect(await book.market()).to.equal(file.addresses.market);
    expect(Number((await book.terms()).revealSeconds)).to.equal(300);
  });

  it("refuses bad input with one line naming the flag", async function () {
    await runError("gridswap:mint", { to: "0x123", usd: "1" }, /--to: '0x123' is not an address/);
    await runError("gridswap:mint", { usd: "1" }, /--to is required/);
    await runError(
      "gridswap:mint",
      { to: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", usd: "99999999999999999999999999999999999999" },
      /--usd: 9+ USD is more than the contracts can hold/,
    );
    await runError(
      "gridswap:mint",
      { to: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", usd: "-5" },
      /--usd: '-5' is not a positive number of USD/,
    );
    await runError(
      "gridswap:issue",
      { generator: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", kwh: "1.0001" },
      /--kwh: '1\.0001' has more than 3 decimals/,
    );
    await runError("gridswap:deposit", { usd: "1", kwh: "1" }, /give one amount: --usd X or --kwh X/);
    await runError("gridswap:fill", { offer: "0x12" }, /--offer: '0x12' is not an offer hash/);
    await runError("gridswap:period", {}, /no meter source: give --meters/);
    await runError("gridswap:period", { simulateMeters: true, forecast: "34=-1" }, /--forecast: '34=-1' is not BUS=MW/);
    await runError(
      "gridswap:deploy",
      { threshold: "1", oracle: "3,4" },
      /--threshold 1 of 2 oracle signer\(s\) must satisfy n\/2 < k ≤ n/,
    );
    await runError("gridswap:deploy", { admin: "2" }, /centre and admin are the same account/);
    await runError("gridswap:deploy", { periodSeconds: "0" }, /--period-seconds: 0 is out of range/);
  });

  describe("as processes on a headless machine", function () {
    /** `hardhat <args>` with no DISPLAY (Hardhat's cue for stack traces); stdout, stderr, status. */
    function hardhat(
      args: readonly string[],
      env: Record<string, string> = {},
    ): Promise<{ code: number | null; stderr: string }> {
      const base: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (k === "DISPLAY" || /^(RPC_URL|PRIVATE_KEY|HARDHAT_NETWORK|DEBUG|GENERATOR_KEY|CENTRE_KEY)$/.test(k))
          continue;
        base[k] = v;
      }
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [require.resolve("hardhat/internal/cli/cli"), ...args], {
          cwd: ROOT,
          env: { ...base, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", GRIDSWAP_DEPLOYMENTS_DIR: dir, ...env },
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
        child.on("error", reject);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stderr });
        });
      });
    }

    const cases: [string, readonly string[], Record<string, string>, RegExp][] = [
      [
        "RPC_URL not a URL",
        ["gridswap:offers", "--network", "devnet"],
        { RPC_URL: "notaurl" },
        /^gridswap:offers: RPC_URL 'notaurl' is not an http/,
      ],
      [
        "PRIVATE_KEY too short",
        ["gridswap:deploy", "--network", "devnet"],
        { PRIVATE_KEY: "0x1234" },
        /^gridswap:deploy: PRIVATE_KEY is not a private key/,
      ],
      [
        "PRIVATE_KEY without 0x",
        ["gridswap:deploy", "--network", "devnet"],
        { PRIVATE_KEY: "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" },
        /^gridswap:deploy: PRIVATE_KEY must start with 0x/,
      ],
      [
        "an unknown flag",
        ["gridswap:register", "--genrator", "0x12"],
        {},
        /^gridswap:register: unknown option '--genrator' \(options: --capacity-kw --case --generator --meter --node\)/,
      ],
      [
        "a huge amount",
        [
          "gridswap:mint",
          "--to",
          "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          "--usd",
          "99999999999999999999999999999999999999",
        ],
        {},
        /^gridswap:mint: --usd: .* more than the contracts can hold/,
      ],
      [
        "no deployment",
        ["gridswap:offers"],
        { GRIDSWAP_DEPLOYMENTS_DIR: join(tmpdir(), `gridswap-none-${process.pid}`) },
        /^gridswap:offers: no deployment for network 'hardhat'/,
      ],
      ["a task that does not exist", ["gridswap:nosuch"], {}, /^gridswap:nosuch: no such task/],
      [
        "a network that is not configured",
        ["gridswap:offers", "--network", "mainnet"],
        {},
        /^gridswap:offers: --network mainnet: no such network \(configured: hardhat, localhost, devnet; devnet is any JSON-RPC endpoint/,
      ],
    ];
    for (const [what, args, env, pattern] of cases) {
      it(`${what}: one stderr line, exit 1`, async function () {
        const r = await hardhat(args, env);
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr.trimEnd().split("\n"), r.stderr).to.have.length(1);
        expect(r.stderr).to.match(pattern);
      });
    }

    it("an unreachable RPC_URL: names RPC_URL and the URL, one line, exit 1", async function () {
      const port = await freePort(); // nothing listens there
      const r = await hardhat(["gridswap:offers", "--network", "devnet"], { RPC_URL: `http://127.0.0.1:${port}` });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr.trimEnd().split("\n")).to.have.length(1);
      expect(r.stderr).to.match(
        new RegExp(`^gridswap:offers: cannot reach RPC_URL http://127\\.0\\.0\\.1:${port}: connection refused`),
      );
    });

    it("shows the stack with --show-stack-traces", async function () {
      const r = await hardhat(["gridswap:mint", "--to", "0x12", "--usd", "1", "--show-stack-traces"]);
      expect(r.code).to.equal(1);
      expect(r.stderr.split("\n")[0]).to.match(/^gridswap:mint: --to: '0x12' is not an address/);
      expect(r.stderr).to.match(/\n\s+at /);
    });
  });
});

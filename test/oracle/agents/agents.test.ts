/**
 * The agents on Hardhat's in-process network: a full two-period cycle, restart idempotency,
 * retries on transport failures only, and clear errors for bad keys and deployment files.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { encryptKeystoreJson, Wallet } from "ethers";
import { loadCase } from "../../../oracle";
import { CentreAgent, GeneratorAgent } from "../../../oracle/agents/agents";
import { deployGridSwap, deploymentAddresses } from "../../../oracle/chain/deploy";
import { DeploymentError, readDeployment, writeDeployment } from "../../../oracle/chain/deployments";
import { isTransient, withRetry } from "../../../oracle/chain/retry";
import { kwhToWh, PERIOD_SECONDS, usdToUnits } from "../../../oracle/chain/units";
import { loadWallet, WalletConfigError } from "../../../oracle/chain/wallet";

const CASE = join(__dirname, "../../../cases/seed34.json");

/** Awaits `promise`, expecting it to reject with a message matching `message` (and class `type`). */
async function expectRejected(
  promise: Promise<unknown>,
  typeOrMessage: (new (...args: never[]) => Error) | string | RegExp,
  message?: string | RegExp,
): Promise<void> {
  const [type, pattern] = typeof typeOrMessage === "function" ? [typeOrMessage, message] : [undefined, typeOrMessage];
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, "expected a rejection").to.be.instanceOf(Error);
  if (type) expect(error).to.be.instanceOf(type);
  const text = (error as Error).message;
  if (typeof pattern === "string") expect(text).to.include(pattern);
  else if (pattern) expect(text).to.match(pattern);
}

async function world() {
  const [admin, oracle, centre, gen27] = await ethers.getSigners();
  const contracts = await deployGridSwap(admin, { oracle: oracle.address, centre: centre.address });
  await (await contracts.registry.register(gen27.address, 27)).wait();
  await (await contracts.kwh.issue(gen27.address, kwhToWh(100))).wait();
  await (await contracts.usd.mint(centre.address, usdToUnits(100))).wait();
  await (await contracts.usd.connect(centre).approve(await contracts.market.getAddress(), ethers.MaxUint256)).wait();
  const period = Math.floor((await time.latest()) / PERIOD_SECONDS) + 1;
  await time.increaseTo(period * PERIOD_SECONDS);
  const logs: string[] = [];
  const centreAgent = () =>
    new CentreAgent({
      contracts,
      oracleSigner: oracle,
      centreSigner: centre,
      case: loadCase(CASE),
      caseText: readFileSync(CASE, "utf8"),
      log: (l) => logs.push(`centre: ${l}`),
    });
  const generator = new GeneratorAgent({
    contracts,
    wallet: gen27,
    policy: { address: gen27.address, node: 27, costUsdPerKwh: 0.01, marginUsdPerKwh: 0.002, capacityKwh: 50 },
    log: (l) => logs.push(`gen27: ${l}`),
  });
  return { contracts, centre, gen27, period, centreAgent, generator, logs };
}

describe("agents", () => {
  it("run the paper's cycle over two periods and settle it", async () => {
    const w = await world();
    const first = await w.centreAgent().step();
    expect(first.period).to.equal(w.period);
    expect(first.reported).to.equal(true);
    expect(first.result?.violations.lines).to.have.length(3);
    expect(first.published).to.deep.equal([1n]);
    const decision = await w.generator.poll();
    expect(decision.accepted).to.deep.equal([1n]);
    expect(w.logs.join("\n")).to.match(/gen27: offer #1: accept — pays 0\.015000 USD\/kWh/);

    await time.increaseTo((w.period + 1) * PERIOD_SECONDS);
    const usdBefore = await w.contracts.usd.balanceOf(w.gen27.address);
    const second = await w.centreAgent().step();
    expect(second.deliveries).to.have.length(1);
    expect(second.deliveries[0].adjustmentKwh).to.be.closeTo(-10.372, 1e-9);
    expect(second.settled).to.deep.equal([1n]);
    expect(second.result?.violations.lines).to.have.length(0); // gen 27's move relieved the lines
    expect(second.published).to.deep.equal([]);
    const offer = await w.contracts.market.getOffer(1);
    expect(offer.status).to.equal(3n); // Settled
    expect(await w.contracts.usd.balanceOf(w.gen27.address)).to.equal(usdBefore + offer.usdAmount);
  });

  it("resume after a restart without reporting or publishing twice", async () => {
    const w = await world();
    await w.centreAgent().step();
    const again = await w.centreAgent().step(); // a fresh process: only chain state is known
    expect(again.reported).to.equal(false);
    expect(again.published).to.deep.equal([]);
    expect(await w.contracts.market.offerCount()).to.equal(1n);
    expect(w.logs.join("\n")).to.match(/already reported, skipping the report/);
    expect(w.logs.join("\n")).to.match(/offers already published, skipping/);
  });
});

describe("agents under RPC failures", () => {
  it("complete the period when reads and sends fail transiently, without reporting or publishing twice", async () => {
    const w = await world();
    // Fail the first two calls of each of these with a transport error, as a flaky endpoint would.
    const flaky = <T extends object>(target: T, method: string): void => {
      const real = (target as Record<string, (...a: unknown[]) => unknown>)[method].bind(target);
      let failures = 0;
      Object.defineProperty(target, method, {
        value: async (...args: unknown[]) => {
          if (failures++ < 2) throw Object.assign(new Error("connect ECONNRESET"), { code: "NETWORK_ERROR" });
          return real(...args);
        },
      });
    };
    const provider = w.contracts.market.runner?.provider as NonNullable<typeof w.contracts.market.runner>["provider"];
    flaky(provider as object, "getBlock");
    flaky(w.contracts.oracle, "hasReport");
    flaky(w.contracts.market, "queryFilter");
    const agent = w.centreAgent();
    (agent as unknown as { cfg: { retry: object } }).cfg.retry = { baseDelayMs: 1 };
    const step = await agent.step();
    expect(step.reported).to.equal(true);
    expect(step.published).to.deep.equal([1n]);
    expect(await w.contracts.market.offerCount()).to.equal(1n);
    expect(w.logs.filter((l) => /attempt \d failed/.test(l)).length).to.be.at.least(4);
  });
});

describe("retries", () => {
  it("retry transport failures with backoff, then succeed", async () => {
    let calls = 0;
    const lines: string[] = [];
    const value = await withRetry(
      "read",
      async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "NETWORK_ERROR" });
        return 42;
      },
      { baseDelayMs: 1, log: (l) => lines.push(l) },
    );
    expect(value).to.equal(42);
    expect(calls).to.equal(3);
    expect(lines).to.have.length(2);
  });

  it("never retry a revert, and give up after the bounded attempts", async () => {
    let calls = 0;
    const revert = Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION" });
    await expectRejected(
      withRetry("send", async () => {
        calls++;
        throw revert;
      }),
      "execution reverted",
    );
    expect(calls).to.equal(1);
    expect(isTransient(revert)).to.equal(false);
    await expectRejected(
      withRetry("read", async () => Promise.reject(new Error("socket hang up")), { attempts: 3, baseDelayMs: 1 }),
      /read: still failing after 3 attempts: socket hang up/,
    );
  });
});

describe("configuration errors", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("name a missing or malformed private key without echoing it", async () => {
    delete process.env.GEN_KEY;
    await expectRejected(
      loadWallet({ privateKeyEnv: "GEN_KEY" }, ethers.provider),
      WalletConfigError,
      "GEN_KEY is not set",
    );
    process.env.GEN_KEY = "0x1234";
    await expectRejected(
      loadWallet({ privateKeyEnv: "GEN_KEY" }, ethers.provider),
      "GEN_KEY is not a private key: expected 0x followed by 64 hex digits",
    );
    process.env.GEN_KEY = `0x${"0".repeat(64)}`;
    await expectRejected(
      loadWallet({ privateKeyEnv: "GEN_KEY" }, ethers.provider),
      "not a valid secp256k1 private key",
    );
    const key = Wallet.createRandom().privateKey;
    process.env.GEN_KEY = key;
    const wallet = await loadWallet({ privateKeyEnv: "GEN_KEY" }, ethers.provider);
    expect(wallet.privateKey).to.equal(key);
  });

  it("open an encrypted keystore and refuse a wrong password", async function () {
    this.timeout(120_000); // scrypt
    const dir = mkdtempSync(join(tmpdir(), "gridswap-ks-"));
    try {
      const original = Wallet.createRandom();
      const path = join(dir, "gen.json");
      // A cheap scrypt cost keeps the test fast; the format is the standard one.
      writeFileSync(
        path,
        await encryptKeystoreJson({ address: original.address, privateKey: original.privateKey }, "correct horse", {
          scrypt: { N: 1024 },
        }),
      );
      process.env.KS_PASS = "correct horse";
      const loaded = await loadWallet({ keystore: path, passwordEnv: "KS_PASS" }, ethers.provider);
      expect(loaded.address).to.equal(original.address);
      process.env.KS_PASS = "wrong";
      await expectRejected(
        loadWallet({ keystore: path, passwordEnv: "KS_PASS" }, ethers.provider),
        `cannot decrypt keystore ${path}: wrong password`,
      );
      await expectRejected(loadWallet({ keystore: join(dir, "none.json") }, ethers.provider), /cannot read keystore/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("check a deployment file: missing, wrong chain, not an address, no code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gridswap-dep-"));
    try {
      await expectRejected(
        readDeployment("devnet", ethers.provider, dir),
        DeploymentError,
        /run the deploy task first/,
      );
      const [admin] = await ethers.getSigners();
      const addresses = await deploymentAddresses(
        await deployGridSwap(admin, { oracle: admin.address, centre: admin.address }),
      );
      const chainId = Number((await ethers.provider.getNetwork()).chainId);
      writeDeployment({ network: "devnet", chainId, deployedAt: "now", addresses }, dir);
      expect((await readDeployment("devnet", ethers.provider, dir)).addresses).to.deep.equal(addresses);
      writeDeployment({ network: "devnet", chainId: 1, deployedAt: "now", addresses }, dir);
      await expectRejected(
        readDeployment("devnet", ethers.provider, dir),
        /is for chain 1, but the RPC endpoint is chain/,
      );
      writeDeployment(
        { network: "devnet", chainId, deployedAt: "now", addresses: { ...addresses, market: "0x12" } },
        dir,
      );
      await expectRejected(readDeployment("devnet", ethers.provider, dir), /market address '0x12' is not an address/);
      const empty = Wallet.createRandom().address;
      writeDeployment(
        { network: "devnet", chainId, deployedAt: "now", addresses: { ...addresses, oracle: empty } },
        dir,
      );
      await expectRejected(readDeployment("devnet", ethers.provider, dir), /no contract at oracle/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

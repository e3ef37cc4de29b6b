/**
 * The deployment file every task, agent and dashboard reads: a bad file is refused with the file
 * and the field named, and the roles the deploy task records are checked when present; an
 * optional bid book must be the market's.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../../fixture-clock";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  attachBidBook,
  openDeployment,
  readDeploymentFile,
  writeDeployment,
  type DeploymentFile,
} from "../../../oracle/chain/deployments";
import { deploymentAddresses } from "../../../oracle/chain/deploy";
import { ConfigurationError } from "../../../oracle/chain/errors";
import { BidBook__factory, TermsOnlyMarket__factory } from "../../../typechain-types";
import { deployBids } from "../../contracts/fixtures";

const A = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;

const sound: DeploymentFile = {
  network: "devnet",
  chainId: 31337,
  deployedAt: "2026-12-01T00:00:00.000Z",
  deployBlock: 1,
  periodSeconds: 1800,
  addresses: { registry: A(1), usd: A(2), kwh: A(3), oracle: A(4), market: A(5) },
  roles: {
    deployer: A(10),
    admin: A(11),
    centres: [A(12)],
    oracleSigners: [A(13), A(14)],
    oracleThreshold: 2,
    registrar: A(15),
    issuer: A(16),
    treasury: A(17),
  },
};

describe("deployment file", () => {
  const dir = mkdtempSync(join(tmpdir(), "gridswap-deployment-"));

  it("round-trips, with and without roles", () => {
    const path = writeDeployment(sound, join(dir, "with-roles.json"));
    expect(readDeploymentFile(path)).to.deep.equal(sound);
    const { roles: _roles, ...bare } = sound;
    const barePath = writeDeployment(bare, join(dir, "bare.json"));
    expect(readDeploymentFile(barePath).roles).to.equal(undefined);
  });

  const broken: [string, (f: Record<string, unknown>) => void, RegExp][] = [
    ["no chain id", (f) => delete f.chainId, /chainId must be a positive integer/],
    ["a negative deploy block", (f) => (f.deployBlock = -1), /deployBlock must be a block number/],
    [
      "a bad market address",
      (f) => ((f.addresses as Record<string, unknown>).market = "0x12"),
      /addresses\.market is not an address: "0x12"/,
    ],
    [
      "a bad bid book address",
      (f) => ((f.addresses as Record<string, unknown>).bids = "0xbid"),
      /addresses\.bids is not an address: "0xbid"/,
    ],
    [
      "a role that is no address",
      (f) => ((f.roles as Record<string, unknown>).issuer = 7),
      /roles\.issuer is not an address: 7/,
    ],
    [
      "signers that are no list",
      (f) => ((f.roles as Record<string, unknown>).oracleSigners = A(13)),
      /roles\.oracleSigners must be a list of addresses/,
    ],
    [
      "a threshold above the signers",
      (f) => ((f.roles as Record<string, unknown>).oracleThreshold = 3),
      /roles\.oracleThreshold must be between 1 and the number of oracle signers: 3/,
    ],
  ];
  for (const [what, damage, message] of broken) {
    it(`refuses ${what}, naming the file`, () => {
      const f = JSON.parse(JSON.stringify(sound)) as Record<string, unknown>;
      damage(f);
      const path = join(dir, `${what.replace(/ /g, "-")}.json`);
      writeFileSync(path, JSON.stringify(f));
      let error: unknown;
      try {
        readDeploymentFile(path);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigurationError);
      expect((error as Error).message)
        .to.include(path)
        .and.to.match(message);
    });
  }

  it("may name a bid book; files without one read as before", async () => {
    const withBids = { ...sound, addresses: { ...sound.addresses, bids: A(6) } };
    const path = writeDeployment(withBids, join(dir, "with-bids.json"));
    expect(readDeploymentFile(path).addresses.bids).to.equal(A(6));
    expect(attachBidBook(sound.addresses, ethers.provider)).to.equal(undefined);
    expect(await attachBidBook(withBids.addresses, ethers.provider)!.getAddress()).to.equal(A(6));
  });

  it("opens a deployment with its bid book, and refuses a bid book of another market", async () => {
    const f = await loadFixture(deployBids);
    const { chainId } = await ethers.provider.getNetwork();
    const addresses = await deploymentAddresses(f);
    const file = (bids: string): DeploymentFile => ({
      ...sound,
      chainId: Number(chainId),
      addresses: { ...addresses, bids },
    });
    const good = writeDeployment(file(await f.bids.getAddress()), join(dir, "live.json"));
    const opened = await openDeployment(good, ethers.provider);
    expect(opened.file.addresses.bids).to.equal(await f.bids.getAddress());
    const other = await new TermsOnlyMarket__factory(f.deployer).deploy(await f.registry.getAddress(), 0);
    const stray = await new BidBook__factory(f.deployer).deploy(other, {
      revealSeconds: 300,
      studySeconds: 1800,
      maxPriceUsdPerMWh: 1n,
    });
    const bad = writeDeployment(file(await stray.getAddress()), join(dir, "stray.json"));
    const error = await openDeployment(bad, ethers.provider).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).to.be.instanceOf(ConfigurationError);
    expect(error!.message).to.match(/the bid book at 0x\w+ belongs to market 0x\w+, not 0x\w+/);
  });

  it("refuses a file that is not JSON", () => {
    const path = join(dir, "text.json");
    writeFileSync(path, "addresses: none");
    expect(() => readDeploymentFile(path)).to.throw(ConfigurationError, /is not valid JSON/);
  });
});

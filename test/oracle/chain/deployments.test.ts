/**
 * The deployment file every task, agent and dashboard reads: a bad file is refused with the file
 * and the field named, and the roles the deploy task records are checked when present.
 */
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDeploymentFile, writeDeployment, type DeploymentFile } from "../../../oracle/chain/deployments";
import { ConfigurationError } from "../../../oracle/chain/errors";

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

  it("refuses a file that is not JSON", () => {
    const path = join(dir, "text.json");
    writeFileSync(path, "addresses: none");
    expect(() => readDeploymentFile(path)).to.throw(ConfigurationError, /is not valid JSON/);
  });
});

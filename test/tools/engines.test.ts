/**
 * The Node version the README and package.json promise is one every installed package accepts:
 * `npm ci` on the oldest promised Node prints no EBADENGINE warning (vega-lite 6.5.0 asked for
 * Node 22 while GridSwap says 20.19).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";

/** npm's own range rules (semver, which npm and many of the locked packages use; no types shipped). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require("semver") as {
  minVersion(range: string): { major: number; minor: number; version: string } | null;
  satisfies(version: string | { version: string }, range: string): boolean;
};
const ROOT = join(__dirname, "..", "..");

describe("engines: every locked package runs on the Node version GridSwap promises", function () {
  it("package.json's engines.node floor satisfies each package's engines.node in package-lock.json", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const floor = semver.minVersion(pkg.engines.node);
    expect(floor, `engines.node '${pkg.engines.node}'`).to.not.equal(null);
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).to.include(`Node ≥ ${floor!.major}.${floor!.minor}`);
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
    const refused = Object.entries(lock.packages as Record<string, { version?: string; engines?: unknown }>)
      .filter(([, p]) => {
        const node = (p.engines as { node?: unknown } | undefined)?.node;
        return typeof node === "string" && !semver.satisfies(floor!, node);
      })
      .map(([path, p]) => `${path.replace(/^node_modules\//, "")}@${p.version}: node ${JSON.stringify(p.engines)}`);
    expect(refused, refused.join("\n")).to.deep.equal([]);
  });
});

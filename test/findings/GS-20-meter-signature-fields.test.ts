/**
 * GS-20 (medium): meter data was trusted text. Readings were unsigned by default, and when signed
 * the signature covered neither the quality flag nor the timestamp: a BAD reading relabelled OK
 * still verified. The registry did not require meter keys to be unique, and the centre mapped a
 * key to the last generator it saw. On main before issue #21 (fd536b8) the relabelled reading
 * verified and an unsigned one was measured; this test fails there.
 * Now a meter signs MeterReading(meter, generator, period, actualWh, quality, readAt) — every
 * field a measurement uses — operators refuse unsigned readings (only a devnet may run with
 * --insecure-unsigned-readings), and the registry binds each meter key to exactly one generator.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import { Wallet } from "ethers";
import { readDomain } from "../../oracle/chain/typed-data";
import { screenReadings, signReading, type MeterReading } from "../../oracle/agents/metering";
import { deployMarket } from "../contracts/fixtures";

const T = 1800;

describe("GS-20: a meter signs everything a measurement uses; one meter key per generator", () => {
  it("a BAD reading relabelled OK, a re-dated one and an unsigned one are each the meter's BAD data, never a measurement", async () => {
    const f = await loadFixture(deployMarket);
    const domain = await readDomain(f.oracle);
    const meter = Wallet.createRandom();
    const generator = f.gen27.address;
    const period = 1000;
    const honest: MeterReading = {
      meter: meter.address,
      period,
      energyWh: 300_000n,
      quality: "BAD",
      timestamp: (period + 1) * T + 30,
      origin: "meter",
    };
    const signature = await signReading(meter, domain, generator, honest);
    const context = {
      generatorOf: new Map([[meter.address, generator]]),
      now: (period + 2) * T,
      periodSeconds: T,
      signatures: { domain, required: true },
    };
    const screen = (r: MeterReading) => screenReadings({ readings: [r], rejected: [] }, context);
    // As signed: usable, and BAD by the meter's own flag.
    expect(screen({ ...honest, signature }).usable.map((r) => r.quality)).to.deep.equal(["BAD"]);
    for (const [what, changed, reason] of [
      ["relabelled OK", { ...honest, quality: "OK" as const, signature }, /foreign signature/],
      ["re-dated", { ...honest, timestamp: honest.timestamp + 600, signature }, /foreign signature/],
      ["unsigned", { ...honest, quality: "OK" as const }, /^unsigned/],
    ] as const) {
      const s = screen(changed as MeterReading);
      expect(s.usable, what).to.deep.equal([]);
      const bad = [...s.bad.values()];
      expect(bad, what).to.have.length(1);
      expect(bad[0].reasons.join(" "), what).to.match(reason);
    }
  });

  it("the registry refuses a meter key already bound to another generator (MeterKeyInUse)", async () => {
    const f = await loadFixture(deployMarket);
    const [, meterOf27] = await f.registry.generatorOf(f.gen27.address);
    const fresh = ethers.Wallet.createRandom().address;
    await expect(f.registry.connect(f.registrar).register(fresh, 2, meterOf27, 1_000_000))
      .to.be.revertedWithCustomError(f.registry, "MeterKeyInUse")
      .withArgs(meterOf27, f.gen27.address);
    expect(await f.registry.generatorOfMeter(meterOf27)).to.equal(f.gen27.address);
  });
});

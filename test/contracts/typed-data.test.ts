/**
 * oracle/chain/typed-data.ts against the contracts: domains read with ERC-5267, type strings equal
 * the contracts' typehashes, and every digest and stored hash computed in TypeScript equals the
 * contract's own (offer, report, correction, signer update, meter reading, report and position).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import {
  CORRECTION_TYPES,
  correctionDigest,
  METER_READING_TYPES,
  meterReadingDigest,
  OFFER_TYPES,
  offerHash,
  readDomain,
  REPORT_TYPES,
  reportDigest,
  reportHash,
  SIGNER_UPDATE_TYPES,
  signerUpdateDigest,
  typeString,
} from "../../oracle/chain/typed-data";
import { deployMarket, FAR, measurement, paperOffer, paperReport } from "./fixtures";

describe("typed-data.ts", () => {
  it("reads both domains from the contracts (ERC-5267)", async () => {
    const f = await loadFixture(deployMarket);
    const { chainId } = await ethers.provider.getNetwork();
    expect(await readDomain(f.market)).to.deep.equal({
      name: "GridSwap Market",
      version: "3",
      chainId,
      verifyingContract: await f.market.getAddress(),
    });
    expect(await readDomain(f.oracle)).to.deep.equal({
      name: "GridSwap Oracle",
      version: "3",
      chainId,
      verifyingContract: await f.oracle.getAddress(),
    });
    const weird = { eip712Domain: async () => f.market.eip712Domain().then((d) => ["0x1f", ...d.slice(1)]) };
    const failure = await readDomain(weird as never).then(
      () => "accepted",
      (e: Error) => e.message,
    );
    expect(failure).to.match(/unexpected EIP-712 domain fields/);
  });

  it("the type strings hash to the contracts' typehashes", async () => {
    const f = await loadFixture(deployMarket);
    expect(ethers.id(typeString(OFFER_TYPES))).to.equal(await f.market.OFFER_TYPEHASH());
    expect(ethers.id(typeString(REPORT_TYPES))).to.equal(await f.oracle.REPORT_TYPEHASH());
    expect(ethers.id(typeString(CORRECTION_TYPES))).to.equal(await f.oracle.CORRECTION_TYPEHASH());
    expect(ethers.id(typeString(SIGNER_UPDATE_TYPES))).to.equal(await f.oracle.SIGNER_UPDATE_TYPEHASH());
    expect(ethers.id(typeString(METER_READING_TYPES))).to.equal(await f.oracle.METER_READING_TYPEHASH());
  });

  it("every digest equals the contract's", async () => {
    const f = await loadFixture(deployMarket);
    const md = await readDomain(f.market);
    const od = await readDomain(f.oracle);
    const offer = paperOffer(f, { nonce: 2n ** 200n + 3n, generator: f.gen27.address, baselineDays: 0 });
    expect(offerHash(md, offer)).to.equal(await f.market.hashOffer(offer));
    const report = paperReport(f.period, [measurement(f.gen27.address, f.period - 1n, -2300n)]);
    expect(reportHash(report)).to.equal(
      ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode([f.oracle.interface.getFunction("verifyReport").inputs[0]], [report]),
      ),
    );
    expect(reportDigest(od, report, 1n, FAR)).to.equal(await f.oracle.reportDigest(report, FAR));
    const m = measurement(f.gen34.address, 5n, 77n, { quality: 2 });
    const readings = ethers.id("readings");
    expect(correctionDigest(od, m, readings, 1n, 99n)).to.equal(await f.oracle.correctionDigest(m, readings, 99n));
    const set = [f.o1.address, f.o4.address, f.o5.address];
    expect(signerUpdateDigest(od, set, 2, 1n, 7n)).to.equal(await f.oracle.signerUpdateDigest(set, 2, 7n));
    const reading = {
      meter: f.meter.gen2.address,
      generator: f.gen2.address,
      period: 3n,
      actualWh: -12n,
      quality: 2,
      readAt: 1_700_000_000n,
    };
    expect(meterReadingDigest(od, reading)).to.equal(await f.oracle.meterReadingDigest(reading));
  });
});

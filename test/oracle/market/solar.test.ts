/**
 * PV for the day simulation: the sun where astronomy puts it (solar noon, its height at the
 * solstices, day lengths at 52.5° N), Haurwitz's clear sky, the seeded cloud process (bounded,
 * persistent, reproducible) and the seeded random streams under it.
 */
import { expect } from "chai";
import { SeededRandom } from "../../../oracle/market/random";
import {
  cloudCover,
  cloudFactor,
  cosZenith,
  haurwitzGhi,
  meanClearSkyGhi,
  pvAvailability,
} from "../../../oracle/market/solar";

const BERLIN = { lat: 52.5, lon: 13.4 };
const utc = (iso: string): number => Date.parse(`${iso}Z`) / 1000;
const elevationDeg = (cosZ: number): number => 90 - (Math.acos(cosZ) * 180) / Math.PI;

/** cos z every minute of a UTC day. */
function dayOfSun(date: string, lat: number, lon: number): Float64Array {
  const start = utc(`${date}T00:00:00`);
  return Float64Array.from({ length: 1440 }, (_, m) => cosZenith(start + m * 60, lat, lon));
}

describe("solar model (oracle/market/solar.ts)", function () {
  it("summer solstice at 52.5° N, 13.4° E: solar noon at 11:08 UTC ± 3 min, 61° high ± 0.3°", () => {
    const sun = dayOfSun("2026-06-21", BERLIN.lat, BERLIN.lon);
    const noon = sun.indexOf(Math.max(...sun));
    // 12:00 − 4 min per degree east (53.6 min) − the equation of time (−1.6 min on 21 June).
    expect(noon).to.be.within(11 * 60 + 5, 11 * 60 + 11);
    expect(elevationDeg(sun[noon])).to.be.closeTo(90 - 52.5 + 23.44, 0.3);
  });

  it("day length (sun above the horizon): about 16.5 h at the summer solstice, 7.6 h at the winter one", () => {
    const hours = (date: string): number => dayOfSun(date, BERLIN.lat, BERLIN.lon).filter((c) => c > 0).length / 60;
    expect(hours("2026-06-21")).to.be.within(16.2, 16.7);
    expect(hours("2026-12-21")).to.be.within(7.4, 7.9);
  });

  it("equinox noon on the equator at Greenwich: the sun near the zenith", () => {
    expect(elevationDeg(cosZenith(utc("2026-03-20T12:07:00"), 0, 0))).to.be.above(89);
  });

  it("Haurwitz: 1037 W/m² with the sun at the zenith, none below the horizon, rising with the sun", () => {
    expect(haurwitzGhi(1)).to.be.closeTo(1098 * Math.exp(-0.057), 1e-9);
    expect(haurwitzGhi(0)).to.equal(0);
    expect(haurwitzGhi(-0.3)).to.equal(0);
    expect(haurwitzGhi(0.5)).to.be.above(haurwitzGhi(0.3));
    // A period's mean at night is zero; at a June noon between 800 and 950 W/m².
    expect(meanClearSkyGhi(utc("2026-06-21T22:00:00"), 30, BERLIN.lat, BERLIN.lon)).to.equal(0);
    expect(meanClearSkyGhi(utc("2026-06-21T10:53:00"), 30, BERLIN.lat, BERLIN.lon)).to.be.within(800, 950);
  });

  it("clouds: Kasten–Czeplak factor 1 when clear, 0.25 when overcast; availability within [0, 1]", () => {
    expect(cloudFactor(0)).to.equal(1);
    expect(cloudFactor(1)).to.be.closeTo(0.25, 1e-12);
    expect(cloudFactor(0.5)).to.be.closeTo(1 - 0.75 * 0.5 ** 3.4, 1e-12);
    expect(pvAvailability(1200, 0)).to.equal(1);
    expect(pvAvailability(500, 1)).to.be.closeTo(0.125, 1e-12);
    expect(pvAvailability(0, 0)).to.equal(0);
  });

  describe("the cloud process", function () {
    it("mean 0: clear all day; mean 1: overcast all day", () => {
      expect([...cloudCover(48, 30, { mean: 0 }, new SeededRandom("x"))].every((c) => c === 0)).to.equal(true);
      expect([...cloudCover(48, 30, { mean: 1 }, new SeededRandom("x"))].every((c) => c === 1)).to.equal(true);
    });

    it("mean 0.5 over 20,000 periods: bounded to [0, 1], mean 0.5 ± 0.03, lag-one autocorrelation 0.85 ± 0.05", () => {
      const c = cloudCover(20_000, 30, { mean: 0.5 }, new SeededRandom("long"));
      expect(Math.min(...c)).to.be.at.least(0);
      expect(Math.max(...c)).to.be.at.most(1);
      const mean = c.reduce((s, x) => s + x, 0) / c.length;
      expect(mean).to.be.closeTo(0.5, 0.03);
      let num = 0;
      let den = 0;
      for (let k = 0; k < c.length; k++) {
        den += (c[k] - mean) ** 2;
        if (k > 0) num += (c[k] - mean) * (c[k - 1] - mean);
      }
      expect(num / den).to.be.closeTo(0.85, 0.05);
    });

    it("the same seed gives the same clouds, another seed others; bad means are refused", () => {
      const a = cloudCover(48, 30, { mean: 0.4 }, new SeededRandom("day"));
      expect(cloudCover(48, 30, { mean: 0.4 }, new SeededRandom("day"))).to.deep.equal(a);
      expect(cloudCover(48, 30, { mean: 0.4 }, new SeededRandom("other"))).to.not.deep.equal(a);
      expect(() => cloudCover(48, 30, { mean: 1.5 }, new SeededRandom("x"))).to.throw(RangeError, "within 0..1");
    });
  });

  describe("seeded random streams (oracle/market/random.ts)", function () {
    it("reproducible from the seed, different for another", () => {
      const draw = (seed: string): number[] => {
        const r = new SeededRandom(seed);
        return Array.from({ length: 5 }, () => r.nextUint32());
      };
      expect(draw("gridswap")).to.deep.equal(draw("gridswap"));
      expect(draw("gridswap")).to.not.deep.equal(draw("gridswap2"));
    });

    it("a fork's numbers do not depend on how much its parent drew", () => {
      const a = new SeededRandom("s");
      const b = new SeededRandom("s");
      for (let i = 0; i < 100; i++) b.next();
      expect(a.fork("clouds").next()).to.equal(b.fork("clouds").next());
      expect(a.fork("clouds").next()).to.not.equal(a.fork("generators").next());
    });

    it("uniform mean 0.5 and normal mean 0, variance 1 over 100,000 draws", () => {
      const r = new SeededRandom("moments");
      const n = 100_000;
      let u = 0;
      let z = 0;
      let z2 = 0;
      let outside = 0;
      for (let i = 0; i < n; i++) {
        const x = r.next();
        if (!(x >= 0 && x < 1)) outside++;
        u += x;
        const y = r.normal();
        z += y;
        z2 += y * y;
      }
      expect(outside).to.equal(0);
      expect(u / n).to.be.closeTo(0.5, 0.005);
      expect(z / n).to.be.closeTo(0, 0.01);
      expect(z2 / n).to.be.closeTo(1, 0.02);
    });
  });
});

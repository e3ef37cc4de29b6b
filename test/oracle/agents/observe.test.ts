/**
 * An oracle operator whose meter source fails (oracle/agents/oracle/observe.ts): a source that does
 * not answer (a TransportError) or refuses (a ConfigurationError) is not bad data, yet the operator
 * goes on — its meters have no readings for now, it says so, and what it cannot read it measures
 * as MISSING — while the operators with working sources report.
 */
import { expect } from "chai";
import {
  MeterSourceRefusedError,
  MeterSourceUnavailableError,
  type MeterSource,
} from "../../../oracle/agents/metering";
import { Quality } from "../../../oracle/chain/enums";
import { testWorld } from "./world-fixture";

function failing(error: Error): MeterSource {
  return {
    description: "a failing meter source",
    read: async () => {
      throw error;
    },
  };
}

describe("an oracle operator with a failing meter source", function () {
  for (const error of [
    new MeterSourceUnavailableError("http://meters.invalid/readings", "no answer within 10 s"),
    new MeterSourceRefusedError("http://meters.invalid/readings", "HTTP 404 Not Found"),
  ]) {
    it(`${error.name}: no readings for now, said; the others report and the trade settles`, async function () {
      const world = await testWorld([{ node: 27 }], {
        operatorMeters: (i, meters) => (i === 0 ? failing(error) : meters),
      });
      await world.pipeline.startPeriod();
      const first = await world.pipeline.run();
      const second = await world.pipeline.run();
      expect(first.generators.flatMap((g) => g.poll.filled)).to.have.length(1);
      const observed = await world.operators[0].observe({ reportPeriod: second.deliveryPeriod });
      expect(observed.problems.join("\n")).to.match(
        /a failing meter source: .*\(its meters have no readings for now\)/,
      );
      // What it cannot read it measures as MISSING, never as a number it made up.
      expect(observed.measurements.length).to.be.greaterThan(0);
      for (const m of observed.measurements) expect(m.measurement.quality).to.equal(Quality.Missing);
      // The two operators that read the meters measure and sign: the delivery settles.
      await world.pipeline.run();
      const fourth = await world.pipeline.run();
      const settled = [fourth, second].flatMap((r) => [
        ...r.generators.flatMap((g) => g.poll.settled),
        ...r.centre.settled,
      ]);
      expect(settled.length, "the delivery settled without operator 0").to.be.greaterThan(0);
    });
  }
});

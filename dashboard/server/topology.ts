/**
 * The case as the dashboard draws it (/api/case): buses with their voltage bands, branches with
 * their limits, units with their asking prices. Read from the case file; the per-period figures
 * come from the published period records, as they are. Units: MW, MVAr, p.u., USD/MWh.
 */
import { BRANCH, BUS, GEN } from "../../oracle/grid/case/columns";
import type { PowerCase } from "../../oracle/grid/case/types";
import type { Topology } from "../shared/types";

/** The one-line diagram's data: buses with their voltage bands, branches with their limits, units. */
export function topologyOf(c: PowerCase): Topology {
  const op = c.operation;
  const unitOf = new Map((op?.units ?? []).map((u) => [u.gen, u]));
  return {
    name: c.name,
    baseMVA: c.baseMVA,
    periodMinutes: op?.periodMinutes,
    buses: c.bus.map((b) => ({
      id: b[BUS.BUS_I],
      type: b[BUS.BUS_TYPE],
      pdMW: b[BUS.PD],
      qdMVAr: b[BUS.QD],
      vmin: b[BUS.VMIN],
      vmax: b[BUS.VMAX],
      baseKV: b[BUS.BASE_KV],
    })),
    branches: c.branch.map((br, k) => {
      const limit = op?.branchActiveLimitMW[k] ?? 0;
      const rate = br[BRANCH.RATE_A];
      return {
        row: k + 1,
        from: br[BRANCH.F_BUS],
        to: br[BRANCH.T_BUS],
        inService: br[BRANCH.BR_STATUS] > 0,
        limitMW: limit > 0 ? limit : null,
        rateAMVA: rate > 0 ? rate : null,
      };
    }),
    gens: c.gen.map((g, k) => {
      const u = unitOf.get(k + 1);
      return {
        row: k + 1,
        bus: g[GEN.GEN_BUS],
        pgMW: g[GEN.PG],
        pminMW: g[GEN.PMIN],
        pmaxMW: g[GEN.PMAX],
        inService: g[GEN.GEN_STATUS] > 0,
        unit: u && { kind: u.kind, upPrice: u.upPrice, downPrice: u.downPrice, rampMW: u.rampMW },
      };
    }),
  };
}

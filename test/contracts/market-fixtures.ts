/** Helpers shared by the DemandResponseMarket tests (split by concern). */
import { type Fixture } from "./fixtures";

export async function balances(f: Fixture, who: { address: string }) {
  const [usd, kwh] = await f.market.balancesOf(who.address);
  return { usd, kwh };
}

export const GRACE = 604_800n;

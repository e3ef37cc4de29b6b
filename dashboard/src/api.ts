/** The dashboard server's read-only API (dashboard/shared/types.ts). */
import type { BidsView, DashboardConfig, DemoStatus, PeriodIndexEntry, PeriodRecord, Topology } from "../shared/types";

/** The server could not be asked, or it answered with an error (its message kept). */
export class ApiError extends Error {}

async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { Accept: "application/json", ...(init?.headers ?? {}) } });
  } catch {
    throw new ApiError("The dashboard's server does not answer. Is `npm run dashboard` still running?");
  }
  const body = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
  if (!response.ok) throw new ApiError(body?.error ?? `the server answered HTTP ${response.status} for ${path}`);
  return body as T;
}

export const fetchConfig = (): Promise<DashboardConfig> => getJson("api/config");
export const fetchTopology = (): Promise<Topology> => getJson("api/case");
export const fetchPeriods = (): Promise<PeriodIndexEntry[]> => getJson("api/periods");
export const fetchPeriod = (period: number): Promise<PeriodRecord> => getJson(`api/periods/${period}`);
export const fetchBids = (): Promise<BidsView> => getJson("api/bids");
export const fetchDemoStatus = (): Promise<DemoStatus> => getJson("api/demo");
export const demoAction = (action: "pause" | "resume" | "step"): Promise<DemoStatus> =>
  getJson(`api/demo/${action}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });

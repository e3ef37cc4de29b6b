/**
 * The dashboard's page: reads the server's configuration, then keeps three views current — the
 * grid, the market and the generator's wallet — by polling the chain (through /rpc) and the
 * published results every `pollMs`. Any problem (server gone, chain unreachable or wrong, a
 * failed read) is shown in plain words at the top; the page keeps trying and recovers by itself.
 */
import type { DashboardConfig, DemoStatus, Topology } from "../shared/types";
import { ApiError, demoAction, fetchBids, fetchConfig, fetchDemoStatus, fetchTopology } from "./api";
import { renderBids } from "./bids-view";
import { attach, ChainFeed, readProvider } from "./chain";
import { fill, h, notice } from "./dom";
import { explain } from "./errors";
import { localTime } from "./format";
import { GeneratorView } from "./generator-view";
import { GridView } from "./grid-view";
import { MarketView } from "./market-view";

const problems = new Map<string, string>();

function setProblem(source: string, text: string | undefined): void {
  if (text === undefined) problems.delete(source);
  else problems.set(source, text);
  const el = document.getElementById("problems") as HTMLElement;
  fill(
    el,
    [...problems.entries()].map(([key, t]) => notice("error", h("strong", {}, `${key}: `), t)),
  );
}

function setupTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>("nav [role=tab]")];
  const show = (name: string): void => {
    for (const t of tabs) {
      const on = t.dataset.view === name;
      t.setAttribute("aria-selected", String(on));
      (document.getElementById(`view-${t.dataset.view}`) as HTMLElement).hidden = !on;
    }
    history.replaceState(null, "", `#${name}`);
    window.dispatchEvent(new Event("resize")); // the graph measures its container when shown
  };
  for (const t of tabs) t.addEventListener("click", () => show(t.dataset.view as string));
  const initial = location.hash.slice(1);
  if (tabs.some((t) => t.dataset.view === initial)) show(initial);
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

async function loadConfig(): Promise<DashboardConfig> {
  for (;;) {
    try {
      const config = await fetchConfig();
      setProblem("Server", undefined);
      return config;
    } catch (e) {
      setProblem("Server", e instanceof ApiError ? e.message : explain(e));
      await sleep(5000);
    }
  }
}

function renderDemoBar(status: DemoStatus, config: DashboardConfig): void {
  const bar = document.getElementById("demo-bar") as HTMLElement;
  bar.hidden = false;
  const next =
    status.nextTickAt !== undefined
      ? `next period in ${Math.max(0, Math.round((status.nextTickAt - Date.now()) / 1000))} s`
      : "";
  const act = (action: "pause" | "resume" | "step") => async () => {
    try {
      renderDemoBar(await demoAction(action), config);
    } catch (e) {
      setProblem("Demo", explain(e));
    }
  };
  fill(
    bar,
    h("strong", {}, "Demo market"),
    ` on an in-process devnet: the centre acts every ${config.demo?.tickSeconds} s of wall time (one period of ${config.deployment.periodSeconds / 60} min on chain). `,
    status.period !== undefined
      ? `Centre's period ${status.period}, offers for period ${status.deliveryPeriod}. `
      : "Starting… ",
    status.busy ? "Advancing… " : status.paused ? "Paused. " : `${next} `,
    status.paused
      ? h("button", { id: "demo-resume", onClick: act("resume") }, "Resume")
      : h("button", { id: "demo-pause", onClick: act("pause") }, "Pause"),
    " ",
    h("button", { id: "demo-step", disabled: status.busy, onClick: act("step") }, "Next period now"),
    status.error ? h("span", { class: "bad" }, ` Last period failed: ${status.error}`) : null,
  );
}

async function main(): Promise<void> {
  setupTabs();
  let config = await loadConfig();
  const topology: Topology | undefined = await fetchTopology().catch(() => undefined);
  const provider = readProvider(config, document.baseURI);
  const feed = new ChainFeed(config, provider, attach(config, provider));
  const grid = new GridView(
    document.getElementById("view-grid") as HTMLElement,
    topology,
    config.results,
    config.deployment.periodSeconds,
    feed,
  );
  const market = new MarketView(document.getElementById("view-market") as HTMLElement, feed, topology);
  // The sealed-bid auctions, when the deployment has a bid book (the server reads them from the chain).
  const bids = config.deployment.addresses.bids !== undefined ? market.bidsSection() : undefined;
  const generator = new GeneratorView(document.getElementById("view-generator") as HTMLElement, feed);
  void generator.refresh();
  const status = document.getElementById("chain-status") as HTMLElement;

  for (let round = 0; ; round++) {
    // The chain's status every few rounds, and every round while it is not right.
    if (round % 5 === 0 || !config.chain.ok) {
      config = await loadConfig();
      setProblem("Chain", config.chain.ok ? undefined : config.chain.problem);
    }
    if (config.chain.ok) {
      try {
        await feed.poll();
        setProblem("Reading the chain", undefined);
        status.textContent =
          `chain ${config.deployment.chainId} · block ${feed.latestBlock} · ` +
          `${localTime(feed.chainTime)} (period ${feed.currentPeriod})`;
      } catch (e) {
        setProblem("Reading the chain", explain(e));
      }
    } else status.textContent = `chain ${config.deployment.chainId} · not connected`;
    if (bids && config.chain.ok) {
      try {
        renderBids(bids, await fetchBids());
        setProblem("Sealed bids", undefined);
      } catch (e) {
        setProblem("Sealed bids", e instanceof ApiError ? e.message : explain(e));
      }
    }
    try {
      await grid.refresh();
      setProblem("Published results", undefined);
    } catch (e) {
      setProblem("Published results", e instanceof Error ? e.message : String(e));
    }
    if (config.demo) {
      try {
        renderDemoBar(await fetchDemoStatus(), config);
      } catch (e) {
        setProblem("Demo", explain(e));
      }
    }
    await sleep(config.pollMs);
  }
}

main().catch((e: unknown) => setProblem("Dashboard", explain(e)));

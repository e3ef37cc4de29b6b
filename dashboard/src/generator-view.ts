/**
 * A generator's wallet: connect (a browser wallet, or a local key on a devnet), see the offers this
 * generator may fill with its policy's verdict (oracle/agents/policy.ts `decide`, the agents' own
 * rule), fill one (deposit kWh into the vault first when needed; sign and send), and see its
 * commitments, deliveries, payments and balances, and withdraw.
 */
import { ZeroAddress } from "ethers";
import { Asset, Direction, OfferStatus, Quality, enumName } from "../../oracle/chain/enums";
import { offerStruct } from "../../oracle/chain/market-data";
import { KWH_DECIMALS, MAX_KWH_WH, MAX_USD_UNITS, parseDecimalUnits, USD_DECIMALS } from "../../oracle/chain/units";
import { decide, type GeneratorPolicy } from "../../oracle/agents/policy";
import type { BoardOffer, ChainFeed, PositionView } from "./chain";
import { measurementKey } from "./chain";
import { chainName } from "../shared/chains";
import { fill, h, notice, table } from "./dom";
import { explain } from "./errors";
import { kwh, kwhSigned, periodLabel, short, usd, usdPerKwh } from "./format";
import { positionStateOf } from "./market-view";
import {
  DEVNET_CHAIN_IDS,
  connectInjected,
  connectLocalKey,
  hasInjectedWallet,
  switchChain,
  type ConnectedWallet,
} from "./wallet";

interface Balances {
  vaultUsd: bigint;
  vaultWh: bigint;
  walletUsd: bigint;
  walletWh: bigint;
  node: number;
}

const POLICY_KEY = "gridswap.policy.";

export class GeneratorView {
  private wallet?: ConnectedWallet;
  private balances?: Balances;
  private busy = false;
  private readonly els: Record<
    "connect" | "status" | "message" | "policy" | "offers" | "positions" | "balances" | "withdraw",
    HTMLElement
  >;
  private policyValues = { cost: 0.01, margin: 0.002, capacity: 50 };
  /** What the tables show: re-rendered only when it changes (inputs keep what a person typed). */
  private renderedKey = "";

  constructor(
    root: HTMLElement,
    private readonly feed: ChainFeed,
  ) {
    this.els = {
      connect: h("div", { id: "wallet-connect" }),
      status: h("div", { id: "wallet-status" }),
      message: h("div", { id: "generator-message" }),
      policy: h("div", { id: "policy" }),
      offers: h("div", { id: "my-offers" }),
      positions: h("div", { id: "my-positions" }),
      balances: h("div", { id: "my-balances" }),
      withdraw: h("div", { id: "withdraw" }),
    };
    fill(
      root,
      h("h2", {}, "Generator"),
      this.els.connect,
      this.els.status,
      this.els.message,
      h("h3", {}, "Balances"),
      this.els.balances,
      h("h3", {}, "Your policy"),
      this.els.policy,
      h("h3", {}, "Offers you may fill"),
      this.els.offers,
      h("h3", {}, "Your commitments, deliveries and payments"),
      this.els.positions,
      h("h3", {}, "Deposit and withdraw"),
      this.els.withdraw,
    );
    this.renderConnect();
    feed.onUpdate(() => void this.refresh());
  }

  private get chainId(): number {
    return this.feed.config.deployment.chainId;
  }

  private renderConnect(): void {
    const devnet = DEVNET_CHAIN_IDS.has(this.chainId) || this.feed.config.demo !== undefined;
    const keyInput = h("input", {
      id: "devnet-key",
      type: "password",
      placeholder: "0x… private key (devnet only)",
      autocomplete: "off",
      size: 70,
    });
    const demoKeys = this.feed.config.demo?.generators ?? [];
    fill(
      this.els.connect,
      h(
        "div",
        { class: "connect" },
        h(
          "button",
          {
            id: "connect-injected",
            disabled: !hasInjectedWallet(),
            title: hasInjectedWallet() ? "" : "No browser wallet in this browser",
            onClick: () => void this.connect(() => connectInjected()),
          },
          "Connect browser wallet",
        ),
        hasInjectedWallet() ? null : h("span", { class: "hint" }, " No browser wallet found in this browser."),
      ),
      devnet
        ? h(
            "div",
            { class: "connect" },
            h("label", {}, "Or a devnet key: ", keyInput),
            h(
              "button",
              {
                id: "connect-key",
                onClick: () =>
                  void this.connect(async () => connectLocalKey(keyInput.value, this.feed.provider, this.chainId)),
              },
              "Use key",
            ),
            ...demoKeys.map((g) =>
              h(
                "button",
                {
                  class: "demo-key",
                  "data-address": g.address,
                  onClick: () =>
                    void this.connect(async () => connectLocalKey(g.privateKey, this.feed.provider, this.chainId)),
                },
                `Use the demo key of ${g.label}`,
              ),
            ),
            h(
              "p",
              { class: "hint" },
              "A key typed here stays in this tab. Use devnet keys only, never a key that holds real value.",
            ),
          )
        : null,
    );
  }

  private async connect(how: () => Promise<ConnectedWallet>): Promise<void> {
    this.say();
    try {
      const w = await how();
      this.wallet = w;
      w.injected?.on?.("chainChanged", (id: unknown) => {
        w.chainId = Number(BigInt(String(id)));
        void this.refresh();
      });
      w.injected?.on?.("accountsChanged", () => this.say("info", "Your wallet switched accounts: connect again."));
      const saved = localStorage.getItem(POLICY_KEY + w.address.toLowerCase());
      if (saved) this.policyValues = { ...this.policyValues, ...(JSON.parse(saved) as typeof this.policyValues) };
      this.renderedKey = "";
      await this.refresh();
      this.renderPolicy();
      this.renderWithdraw();
    } catch (e) {
      this.say("error", explain(e));
    }
  }

  private say(kind?: "error" | "ok" | "info", text?: string): void {
    if (!kind || !text) fill(this.els.message);
    else fill(this.els.message, notice(kind, text));
  }

  /** The wallet is on the deployment's chain; otherwise a visible error and a way to switch. */
  private chainOk(): boolean {
    const w = this.wallet;
    if (!w || w.chainId === this.chainId) return true;
    return false;
  }

  /** The wallet, when it may send: connected, not busy, on the market's chain (else it says why). */
  private walletToSend(): ConnectedWallet | undefined {
    const w = this.wallet;
    if (!w || this.busy) return undefined;
    if (!this.chainOk()) {
      this.say("error", `Your wallet is on ${chainName(w.chainId)}; switch it to ${chainName(this.chainId)} first.`);
      return undefined;
    }
    return w;
  }

  /**
   * What the person typed, exact in the token's smallest unit (never rounded: more decimals than
   * the token has are refused), or undefined after saying what is wrong.
   */
  private typedAmount(text: string, asset: "usd" | "kwh", action: string): bigint | undefined {
    const unit = asset === "usd" ? "USD" : "kWh";
    try {
      return asset === "usd"
        ? parseDecimalUnits(text, unit, USD_DECIMALS, MAX_USD_UNITS)
        : parseDecimalUnits(text, unit, KWH_DECIMALS, MAX_KWH_WH);
    } catch (e) {
      this.say("error", `Enter the ${unit} to ${action}: ${(e as Error).message}.`);
      return undefined;
    }
  }

  async refresh(): Promise<void> {
    const w = this.wallet;
    if (!w) {
      fill(this.els.status, h("p", {}, "Connect a wallet to act as a generator."));
      for (const k of ["policy", "offers", "positions", "balances", "withdraw"] as const) fill(this.els[k]);
      return;
    }
    if (!this.chainOk()) {
      fill(
        this.els.status,
        notice(
          "error",
          `Your wallet is on ${chainName(w.chainId)}, but this market is on ${chainName(this.chainId)}. `,
          "Switch your wallet to the market's chain before filling or withdrawing. ",
          w.injected
            ? h(
                "button",
                {
                  id: "switch-chain",
                  onClick: async () => {
                    try {
                      await switchChain(w, this.chainId);
                      await this.refresh();
                    } catch (e) {
                      this.say("error", `The wallet did not switch: ${explain(e)}`);
                    }
                  },
                },
                `Switch to chain ${this.chainId}`,
              )
            : null,
        ),
      );
      return;
    }
    const { market, registry, usd: usdToken, kwh: kwhToken } = this.feed.contracts;
    const [vault, node, walletUsd, walletWh] = await Promise.all([
      market.balancesOf(w.address),
      registry.nodeOf(w.address),
      usdToken.balanceOf(w.address),
      kwhToken.balanceOf(w.address),
    ]);
    this.balances = { vaultUsd: vault[0], vaultWh: vault[1], walletUsd, walletWh, node: Number(node) };
    const key = JSON.stringify(
      [
        w.address,
        w.chainId,
        this.balances,
        this.policyValues,
        this.feed.currentPeriod,
        [...this.feed.offers.values()].map((o) => [o.offerHash, o.status, o.filledWh]),
        [...this.feed.positions.values()].map((p) => [p.positionHash, !!p.settlement, !!p.unwound]),
        [...this.feed.measurements.entries()].map(([k, m]) => [k, m.state]),
      ],
      (_k, v) => (typeof v === "bigint" ? v.toString() : v),
    );
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    fill(
      this.els.status,
      h(
        "p",
        { id: "wallet-address" },
        `Connected (${w.source}): `,
        h("code", {}, w.address),
        this.balances.node > 0 ? ` — registered generator at node ${this.balances.node}` : "",
      ),
      this.balances.node === 0
        ? notice(
            "error",
            "This wallet is not a registered generator: the registrar registers a generator's wallet at its node before it can fill offers.",
          )
        : null,
    );
    this.renderBalances();
    await this.renderOffers();
    this.renderPositions();
  }

  private renderBalances(): void {
    const b = this.balances as Balances;
    fill(
      this.els.balances,
      table(
        [
          { head: "", cell: (r: { label: string; usd: bigint; wh: bigint }) => r.label },
          { head: "USD", cell: (r) => usd(r.usd), num: true },
          { head: "kWh", cell: (r) => kwh(r.wh), num: true },
        ],
        [
          { label: "Free in the market's vault", usd: b.vaultUsd, wh: b.vaultWh },
          { label: "In your wallet (tokens)", usd: b.walletUsd, wh: b.walletWh },
        ],
        { label: "Balances", rowAttrs: (r) => ({ "data-balance": r.label.startsWith("Free") ? "vault" : "wallet" }) },
      ),
    );
  }

  private policy(): GeneratorPolicy {
    const w = this.wallet as ConnectedWallet;
    return {
      address: w.address,
      node: (this.balances as Balances).node,
      costUsdPerKwh: this.policyValues.cost,
      marginUsdPerKwh: this.policyValues.margin,
      capacityKwh: this.policyValues.capacity,
    };
  }

  private renderPolicy(): void {
    const input = (id: string, label: string, value: number, unit: string): HTMLElement =>
      h("label", {}, `${label} `, h("input", { id, type: "number", min: 0, step: "any", value, size: 8 }), ` ${unit}`);
    const form = h(
      "form",
      {
        class: "inline",
        onSubmit: (e: Event) => {
          e.preventDefault();
          const read = (id: string): number => Number((form.querySelector(`#${id}`) as HTMLInputElement).value);
          const next = { cost: read("policy-cost"), margin: read("policy-margin"), capacity: read("policy-capacity") };
          if (![next.cost, next.margin].every((x) => Number.isFinite(x) && x >= 0) || !(next.capacity > 0)) {
            this.say("error", "Cost and margin must be numbers of USD/kWh ≥ 0, capacity a number of kWh > 0.");
            return;
          }
          this.policyValues = next;
          localStorage.setItem(
            POLICY_KEY + (this.wallet as ConnectedWallet).address.toLowerCase(),
            JSON.stringify(next),
          );
          this.say("ok", "Policy applied to the verdicts below.");
          void this.refresh();
        },
      },
      input("policy-cost", "Cost", this.policyValues.cost, "USD/kWh"),
      input("policy-margin", "Margin", this.policyValues.margin, "USD/kWh"),
      input("policy-capacity", "Capacity", this.policyValues.capacity, "kWh per period and direction"),
      h("button", { type: "submit" }, "Apply"),
    );
    fill(
      this.els.policy,
      form,
      h("p", { class: "hint" }, "The verdicts below use the same rule as GridSwap's generator agents."),
    );
  }

  private myOffers(): BoardOffer[] {
    const me = (this.wallet as ConnectedWallet).address.toLowerCase();
    const node = (this.balances as Balances).node;
    return [...this.feed.offers.values()]
      .filter(
        (o) =>
          o.status === OfferStatus.Open &&
          o.offer.node === node &&
          (o.offer.generator === ZeroAddress || o.offer.generator.toLowerCase() === me),
      )
      .sort((a, b) => a.offer.period - b.offer.period);
  }

  private async renderOffers(): Promise<void> {
    const w = this.wallet as ConnectedWallet;
    const T = this.feed.periodSeconds;
    const offers = this.myOffers();
    const now = this.feed.chainTime;
    const rows = [];
    for (const o of offers) {
      const [increaseWh, decreaseWh] = await this.feed.contracts.market.committedOf(w.address, o.offer.period);
      const closesAt = Math.min(o.offer.deadline, o.offer.period * T - o.terms.gateClosureSeconds - 1);
      const decision = decide(
        this.policy(),
        o.offer,
        { open: o.status === OfferStatus.Open, filledWh: o.filledWh, closesAt },
        { increaseWh, decreaseWh },
        now,
      );
      rows.push({ o, decision, left: o.offer.amountWh - o.filledWh });
    }
    fill(
      this.els.offers,
      table(
        [
          { head: "Offer", cell: (r) => h("code", { title: r.o.offerHash }, short(r.o.offerHash)) },
          { head: "Delivery", cell: (r) => periodLabel(r.o.offer.period, T) },
          {
            head: "Direction",
            cell: (r) => (r.o.offer.direction === Direction.Increase ? "raise output" : "lower output"),
          },
          { head: "Left", cell: (r) => kwh(r.left), num: true },
          { head: "Payment (whole offer)", cell: (r) => usd(r.o.offer.usd), num: true },
          {
            head: "Price",
            cell: (r) => usdPerKwh(Number(r.o.offer.usd) / 1e8 / (Number(r.o.offer.amountWh) / 1000)),
            num: true,
          },
          {
            head: "Your policy says",
            cell: (r) =>
              h(
                "span",
                { class: r.decision.fill ? "verdict yes" : "verdict no" },
                r.decision.fill ? "FILL: " : "DON'T: ",
                r.decision.reason,
              ),
          },
          {
            head: "Fill",
            cell: (r) => {
              const amount = h("input", {
                type: "number",
                class: "fill-amount",
                min: 0.001,
                step: 0.001,
                value: (
                  Number(
                    r.decision.fill ? r.decision.amountWh : r.left < r.o.offer.maxFillWh ? r.left : r.o.offer.maxFillWh,
                  ) / 1000
                ).toFixed(3),
                "aria-label": "kWh to fill",
                size: 8,
              });
              return h(
                "span",
                { class: "fill" },
                amount,
                " kWh ",
                h(
                  "button",
                  {
                    class: "fill-button",
                    "data-offer": r.o.offerHash,
                    onClick: () => void this.fillOffer(r.o, amount.value),
                  },
                  "Fill",
                ),
              );
            },
          },
        ],
        rows,
        {
          empty: `No open offer for node ${(this.balances as Balances).node} right now. Offers appear here as the centre posts them.`,
          label: "Offers you may fill",
          rowAttrs: (r) => ({ "data-offer": r.o.offerHash }),
        },
      ),
    );
  }

  /** Deposit what is missing (approve + deposit), then fill: each a transaction the wallet signs. */
  private async fillOffer(o: BoardOffer, amountText: string): Promise<void> {
    const w = this.walletToSend();
    if (!w) return;
    const amountWh = this.typedAmount(amountText, "kwh", "fill");
    if (amountWh === undefined) return;
    this.busy = true;
    try {
      const { market, kwh: kwhToken } = this.feed.contracts;
      const marketAddress = await market.getAddress();
      const [, freeWh] = await market.balancesOf(w.address);
      if (freeWh < amountWh) {
        const missing = amountWh - freeWh;
        this.say(
          "info",
          `Depositing ${kwh(missing)} of commitment capacity into the vault: approve, then deposit (sign both)…`,
        );
        await (await kwhToken.connect(w.signer).approve(marketAddress, missing)).wait();
        await (await market.connect(w.signer).deposit(Asset.Kwh, missing)).wait();
      }
      this.say("info", `Filling ${kwh(amountWh)} of offer ${short(o.offerHash)}: sign the transaction in your wallet…`);
      const tx = await market.connect(w.signer).fill(offerStruct(o.offer), o.signature, amountWh);
      this.say("info", `Sent ${short(tx.hash)}; waiting for it to be mined…`);
      const receipt = await tx.wait();
      this.say(
        "ok",
        `Filled: you committed to ${o.offer.direction === Direction.Increase ? "raise" : "lower"} output by ${kwh(amountWh)} ` +
          `in ${periodLabel(o.offer.period, this.feed.periodSeconds)} (transaction ${short(receipt?.hash ?? tx.hash)}).`,
      );
      await this.feed.poll();
    } catch (e) {
      this.say("error", `The fill did not go through. ${explain(e)}`);
    } finally {
      this.busy = false;
    }
  }

  private myPositions(): PositionView[] {
    const me = (this.wallet as ConnectedWallet).address.toLowerCase();
    return [...this.feed.positions.values()]
      .filter((p) => p.position.generator.toLowerCase() === me)
      .sort((a, b) => b.position.period - a.position.period);
  }

  private renderPositions(): void {
    const T = this.feed.periodSeconds;
    fill(
      this.els.positions,
      table(
        [
          { head: "Position", cell: (p) => h("code", { title: p.positionHash }, short(p.positionHash)) },
          { head: "Delivery", cell: (p) => periodLabel(p.position.period, T) },
          { head: "Direction", cell: (p) => (p.position.direction === Direction.Increase ? "raise" : "lower") },
          { head: "Committed", cell: (p) => kwh(p.position.amountWh), num: true },
          { head: "USD escrowed", cell: (p) => usd(p.position.usd), num: true },
          {
            head: "Measured delivery",
            cell: (p) => {
              const m = this.feed.measurements.get(measurementKey(p.position.period, p.position.generator));
              return m
                ? `${kwhSigned(m.deliveredWh)} (${enumName(Quality, m.quality).toUpperCase()}, ${m.state})`
                : "not reported yet";
            },
            num: true,
          },
          { head: "Paid to you", cell: (p) => (p.settlement ? usd(p.settlement.usdToGenerator) : "—"), num: true },
          {
            head: "Commitment",
            cell: (p) =>
              p.settlement
                ? `${kwh(p.settlement.paidWh)} sold, ${kwh(p.settlement.penaltyWh)} penalty, ${kwh(p.position.amountWh - p.settlement.paidWh - p.settlement.penaltyWh)} back`
                : p.unwound
                  ? `${kwh(p.unwound.kwhWh)} back`
                  : "escrowed",
          },
          { head: "State", cell: (p) => positionStateOf(this.feed, p).text },
        ],
        this.myPositions(),
        {
          empty: "No commitment yet.",
          label: "Your positions",
          rowAttrs: (p) => ({
            "data-position": p.positionHash,
            "data-settled": p.settlement ? "yes" : "no",
            "data-state": positionStateOf(this.feed, p).key,
          }),
        },
      ),
    );
  }

  private renderWithdraw(): void {
    const w = this.wallet as ConnectedWallet;
    const asset = h(
      "select",
      { id: "withdraw-asset", "aria-label": "Asset" },
      h("option", { value: "usd" }, "USD"),
      h("option", { value: "kwh" }, "kWh"),
    );
    const amount = h("input", {
      id: "withdraw-amount",
      type: "number",
      min: 0,
      step: "any",
      size: 12,
      "aria-label": "Amount",
    });
    const to = h("input", { id: "withdraw-to", type: "text", value: w.address, size: 44, "aria-label": "To address" });
    const depositAmount = h("input", {
      id: "deposit-amount",
      type: "number",
      min: 0,
      step: 0.001,
      size: 12,
      "aria-label": "kWh to deposit",
    });
    fill(
      this.els.withdraw,
      h(
        "form",
        {
          class: "inline",
          onSubmit: (e: Event) => {
            e.preventDefault();
            void this.withdraw(asset.value as "usd" | "kwh", amount.value, to.value);
          },
        },
        "Withdraw ",
        amount,
        " ",
        asset,
        " from the vault to ",
        to,
        " ",
        h("button", { type: "submit", id: "withdraw-button" }, "Withdraw"),
      ),
      h(
        "form",
        {
          class: "inline",
          onSubmit: (e: Event) => {
            e.preventDefault();
            void this.deposit(depositAmount.value);
          },
        },
        "Deposit ",
        depositAmount,
        " kWh of commitment capacity from your wallet into the vault ",
        h("button", { type: "submit", id: "deposit-button" }, "Deposit"),
      ),
    );
  }

  private async withdraw(asset: "usd" | "kwh", amountText: string, to: string): Promise<void> {
    const w = this.walletToSend();
    if (!w) return;
    const units = this.typedAmount(amountText, asset, "withdraw");
    if (units === undefined) return;
    if (!/^0x[0-9a-fA-F]{40}$/.test(to.trim())) {
      this.say("error", "The recipient must be an address: 0x and 40 hexadecimal digits.");
      return;
    }
    this.busy = true;
    try {
      this.say("info", "Withdrawing: sign the transaction in your wallet…");
      const tx = await this.feed.contracts.market
        .connect(w.signer)
        .withdraw(asset === "usd" ? Asset.Usd : Asset.Kwh, units, to.trim());
      await tx.wait();
      this.say("ok", `Withdrew ${asset === "usd" ? usd(units) : kwh(units)} to ${short(to.trim())}.`);
      await this.refresh();
    } catch (e) {
      this.say("error", `The withdrawal did not go through. ${explain(e)}`);
    } finally {
      this.busy = false;
    }
  }

  private async deposit(amountText: string): Promise<void> {
    const w = this.walletToSend();
    if (!w) return;
    const wh = this.typedAmount(amountText, "kwh", "deposit");
    if (wh === undefined) return;
    this.busy = true;
    try {
      const { market, kwh: kwhToken } = this.feed.contracts;
      this.say("info", `Depositing ${kwh(wh)}: approve, then deposit (sign both)…`);
      await (await kwhToken.connect(w.signer).approve(await market.getAddress(), wh)).wait();
      await (await market.connect(w.signer).deposit(Asset.Kwh, wh)).wait();
      this.say("ok", `Deposited ${kwh(wh)} into the vault.`);
      await this.refresh();
    } catch (e) {
      this.say("error", `The deposit did not go through. ${explain(e)}`);
    } finally {
      this.busy = false;
    }
  }
}

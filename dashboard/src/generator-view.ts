/**
 * A generator's wallet: connect (a browser wallet, or a local key on a devnet), see the offers this
 * generator may fill with its policy's verdict (oracle/chain/fill-rule.ts `decide`, the rule every
 * generator's wallet runs, the agents' too, against its book in the offer's period read from chain state), fill one with its nomination
 * (its planned output in the period: the baseline a Nominated offer is measured against; deposit
 * kWh into the vault first when needed; sign and send), and see its books — the commitment of each
 * delivery period, the fills that made it, its measurement and settlement — and its balances, and
 * withdraw.
 */
import { ZeroAddress } from "ethers";
import { Asset, BaselineMethod, BookState, OfferStatus } from "../../oracle/chain/enums";
import { bookFromStruct, fillFromEvent, offerStruct, type BookData } from "../../oracle/chain/market-data";
import { eventsIn } from "../../oracle/chain/board";
import { KWH_DECIMALS, MAX_KWH_WH, MAX_USD_UNITS, parseDecimalUnits, USD_DECIMALS } from "../../oracle/chain/units";
import { decide, type PriceTerms } from "../../oracle/chain/fill-rule";
import type { BoardOffer, BookView, ChainFeed } from "./chain";
import { chainName } from "../shared/chains";
import { fill, h, notice, table } from "./dom";
import { MAX_NOMINATION_WH, policyForm, vaultForms, type PolicyValues } from "./generator-forms";
import { bookTable, offerTable } from "./generator-tables";
import { explain } from "./errors";
import { kwh, mw, periodLabel, short, usd } from "./format";
import { directionWord, fillsCloseAt } from "./market-state";
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
  /** Registered output capacity, W: bounds a nomination (capacity × one period). */
  capacityW: number;
}

const POLICY_KEY = "gridswap.policy.";

export class GeneratorView {
  private wallet?: ConnectedWallet;
  private balances?: Balances;
  private busy = false;
  private readonly els: Record<
    "connect" | "status" | "message" | "policy" | "offers" | "books" | "balances" | "withdraw",
    HTMLElement
  >;
  /** The policy's figures; `planned` is the planned output per period, kWh as typed ("" = not set). */
  private policyValues: PolicyValues = { cost: 0.01, margin: 0.002, capacity: 50, planned: "" };
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
      books: h("div", { id: "my-books" }),
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
      h("h3", {}, "Your commitments (one book per delivery period), deliveries and payments"),
      this.els.books,
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
      // The demo knows its unit's schedule: the planned output its generator nominates by default.
      const demo = this.feed.config.demo?.generators.find((g) => g.address.toLowerCase() === w.address.toLowerCase());
      this.policyValues = { ...this.policyValues, planned: demo?.plannedKwh ?? "" };
      const saved = localStorage.getItem(POLICY_KEY + w.address.toLowerCase());
      if (saved) this.policyValues = { ...this.policyValues, ...(JSON.parse(saved) as PolicyValues) };
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
      for (const k of ["policy", "offers", "books", "balances", "withdraw"] as const) fill(this.els[k]);
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
    const [vault, registered, walletUsd, walletWh] = await Promise.all([
      market.balancesOf(w.address),
      registry.generatorOf(w.address),
      usdToken.balanceOf(w.address),
      kwhToken.balanceOf(w.address),
    ]);
    this.balances = {
      vaultUsd: vault[0],
      vaultWh: vault[1],
      walletUsd,
      walletWh,
      node: Number(registered[0]),
      capacityW: Number(registered[2]),
    };
    const key = JSON.stringify(
      [
        w.address,
        w.chainId,
        this.balances,
        this.policyValues,
        this.feed.currentPeriod,
        [...this.feed.offers.values()].map((o) => [o.offerHash, o.status, o.filledWh]),
        this.myBooks().map((b) => [b.id, b.committedWh, b.fills.length, this.feed.stateOf(b).text]),
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
        this.balances.node > 0
          ? ` — registered generator at node ${this.balances.node}, capacity ${mw(this.balances.capacityW / 1e6, 3)}`
          : "",
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
    this.renderBooks();
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

  /** The planned output typed in the policy, Wh (undefined when not set or not a number of kWh). */
  private plannedWh(): bigint | undefined {
    try {
      return this.policyValues.planned.trim() === ""
        ? undefined
        : parseDecimalUnits(this.policyValues.planned, "kWh", KWH_DECIMALS, MAX_NOMINATION_WH, true);
    } catch {
      return undefined;
    }
  }

  /** The price terms typed on the page (each fill sends the nomination typed on its row). */
  private policy(): PriceTerms {
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
    fill(
      this.els.policy,
      ...policyForm(this.policyValues, {
        say: (kind, text) => this.say(kind, text),
        apply: (next) => {
          this.policyValues = next;
          localStorage.setItem(
            POLICY_KEY + (this.wallet as ConnectedWallet).address.toLowerCase(),
            JSON.stringify(next),
          );
          this.say("ok", "Policy applied to the verdicts and nominations below.");
          this.renderedKey = "";
          void this.refresh();
        },
      }),
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

  /** My book in `period`, from chain state (market.bookOf: the agents read it the same way, finding GS-06). */
  private async bookOn(period: number): Promise<BookData> {
    const w = this.wallet as ConnectedWallet;
    return bookFromStruct(w.address, await this.feed.contracts.market.bookOf(w.address, period));
  }

  private async renderOffers(): Promise<void> {
    const T = this.feed.periodSeconds;
    const terms = this.feed.terms ?? { periodSeconds: T, gateClosureSeconds: 0 };
    const offers = this.myOffers();
    const now = this.feed.chainTime;
    const books = new Map<number, BookData>();
    const rows = [];
    for (const o of offers) {
      let book = books.get(o.offer.period);
      if (!book) {
        book = await this.bookOn(o.offer.period);
        books.set(o.offer.period, book);
      }
      const decision = decide(
        this.policy(),
        o.offer,
        { open: o.status === OfferStatus.Open, filledWh: o.filledWh, closesAt: fillsCloseAt(o.offer, terms) },
        book,
        now,
      );
      rows.push({ o, book, decision, left: o.offer.amountWh - o.filledWh });
    }
    fill(
      this.els.offers,
      offerTable(rows, {
        periodSeconds: T,
        node: (this.balances as Balances).node,
        planned: this.plannedWh(),
        onFill: (o, amount, nomination) => void this.fillOffer(o, amount, nomination),
      }),
    );
  }

  /**
   * The nomination typed for a fill of `o`, Wh, checked against what the market accepts: 0 for an
   * offer that is not Nominated; else 0..capacity × one period, and the book's own once the period
   * has one. Undefined after saying what is wrong.
   */
  private async typedNomination(o: BoardOffer, text: string | undefined): Promise<bigint | undefined> {
    if (o.offer.baseline !== BaselineMethod.Nominated) return 0n;
    let wh: bigint;
    try {
      wh = parseDecimalUnits(text ?? "", "kWh", KWH_DECIMALS, MAX_NOMINATION_WH, true);
    } catch (e) {
      this.say(
        "error",
        `Enter your nomination — your planned output in ${periodLabel(o.offer.period, this.feed.periodSeconds)}, kWh: ${(e as Error).message}.`,
      );
      return undefined;
    }
    const capacityW = (this.balances as Balances).capacityW;
    const maxWh = (BigInt(capacityW) * BigInt(this.feed.periodSeconds)) / 3600n;
    if (wh > maxWh) {
      this.say(
        "error",
        `Your nomination of ${kwh(wh)} is more than your registered capacity can produce in one period ` +
          `(${mw(capacityW / 1e6, 3)} for ${this.feed.periodSeconds / 60} min: ${kwh(maxWh)}).`,
      );
      return undefined;
    }
    const book = await this.bookOn(o.offer.period);
    if (book.state === BookState.Open && book.nominatedWh !== wh) {
      this.say(
        "error",
        `Your book for period ${o.offer.period} holds the nomination ${kwh(book.nominatedWh)}, fixed by its first fill: ` +
          `fill with the same nomination.`,
      );
      return undefined;
    }
    return wh;
  }

  /** Deposit what is missing (approve + deposit), then fill: each a transaction the wallet signs. */
  private async fillOffer(o: BoardOffer, amountText: string, nominationText: string | undefined): Promise<void> {
    const w = this.walletToSend();
    if (!w) return;
    const requestedWh = this.typedAmount(amountText, "kwh", "fill");
    if (requestedWh === undefined) return;
    this.busy = true;
    try {
      const nominatedWh = await this.typedNomination(o, nominationText);
      if (nominatedWh === undefined) return;
      const { market, kwh: kwhToken } = this.feed.contracts;
      // The market takes min(requested, largest fill, what is left): escrow that much kWh.
      const [, filledBefore] = await market.offerStatus(offerStruct(o.offer));
      const left = o.offer.amountWh - filledBefore;
      const takes = [requestedWh, o.offer.maxFillWh, left].reduce((a, b) => (b < a ? b : a));
      const marketAddress = await market.getAddress();
      const [, freeWh] = await market.balancesOf(w.address);
      if (freeWh < takes) {
        const missing = takes - freeWh;
        this.say(
          "info",
          `Depositing ${kwh(missing)} of commitment capacity into the vault: approve, then deposit (sign both)…`,
        );
        await (await kwhToken.connect(w.signer).approve(marketAddress, missing)).wait();
        await (await market.connect(w.signer).deposit(Asset.Kwh, missing)).wait();
      }
      this.say(
        "info",
        `Filling ${kwh(requestedWh)} of offer ${short(o.offerHash)}` +
          (o.offer.baseline === BaselineMethod.Nominated ? ` against your nomination of ${kwh(nominatedWh)}` : "") +
          ": sign the transaction in your wallet…",
      );
      const tx = await market.connect(w.signer).fill(offerStruct(o.offer), o.signature, requestedWh, nominatedWh);
      this.say("info", `Sent ${short(tx.hash)}; waiting for it to be mined…`);
      const receipt = await tx.wait();
      const [filled] = eventsIn(market, receipt, "Filled");
      const got = filled
        ? fillFromEvent(filled.args.offerHash, filled.args.generator, filled.args.period, filled.args.details)
        : undefined;
      const took = got?.amountWh ?? takes;
      this.say(
        "ok",
        `Filled: you committed to ${directionWord(o.offer.direction)} output by ${kwh(took)} for ${usd(got?.usd ?? 0n)} ` +
          `in ${periodLabel(o.offer.period, this.feed.periodSeconds)}` +
          (took < requestedWh ? ` (you asked for ${kwh(requestedWh)}: that is what was left)` : "") +
          (got ? `; your book for the period: ${kwh(got.bookCommittedWh)}` : "") +
          (o.offer.baseline === BaselineMethod.Nominated ? ` against your nomination of ${kwh(nominatedWh)}` : "") +
          ` (transaction ${short(receipt?.hash ?? tx.hash)}).`,
      );
      await this.feed.poll();
    } catch (e) {
      this.say("error", `The fill did not go through. ${explain(e)}`);
    } finally {
      this.busy = false;
    }
  }

  private myBooks(): BookView[] {
    const me = (this.wallet as ConnectedWallet).address.toLowerCase();
    return [...this.feed.books.values()]
      .filter((b) => b.generator.toLowerCase() === me)
      .sort((a, b) => b.period - a.period);
  }

  private renderBooks(): void {
    fill(this.els.books, bookTable(this.feed, this.myBooks()));
  }

  private renderWithdraw(): void {
    fill(
      this.els.withdraw,
      ...vaultForms((this.wallet as ConnectedWallet).address, {
        withdraw: (asset, amount, to) => void this.withdraw(asset, amount, to),
        deposit: (amount) => void this.deposit(amount),
      }),
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

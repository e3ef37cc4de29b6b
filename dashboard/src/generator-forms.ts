/**
 * The generator view's forms: the policy its verdicts and nominations use (cost, margin, capacity,
 * planned output), and the vault's withdraw and deposit.
 */
import { KWH_DECIMALS, parseDecimalUnits } from "../../oracle/chain/units";
import { h } from "./dom";

/** A nomination is an int64 of Wh on chain. */
export const MAX_NOMINATION_WH = 2n ** 63n - 1n;

/** The policy as typed: USD/kWh, kWh per period, and the planned output as a kWh decimal ("" unknown). */
export interface PolicyValues {
  readonly cost: number;
  readonly margin: number;
  readonly capacity: number;
  readonly planned: string;
}

/** The policy form and its hint; `apply` gets values already checked, `say` what is wrong. */
export function policyForm(
  values: PolicyValues,
  at: { say(kind: "error", text: string): void; apply(next: PolicyValues): void },
): HTMLElement[] {
  const input = (id: string, label: string, value: number | string, unit: string, attrs = {}): HTMLElement =>
    h(
      "label",
      {},
      `${label} `,
      h("input", { id, type: "number", min: 0, step: "any", value, size: 8, ...attrs }),
      ` ${unit}`,
    );
  const form = h(
    "form",
    {
      class: "inline",
      onSubmit: (e: Event) => {
        e.preventDefault();
        const text = (id: string): string => (form.querySelector(`#${id}`) as HTMLInputElement).value;
        const read = (id: string): number => Number(text(id));
        const next = {
          cost: read("policy-cost"),
          margin: read("policy-margin"),
          capacity: read("policy-capacity"),
          planned: text("policy-planned").trim(),
        };
        if (![next.cost, next.margin].every((x) => Number.isFinite(x) && x >= 0) || !(next.capacity > 0)) {
          at.say("error", "Cost and margin must be numbers of USD/kWh ≥ 0, capacity a number of kWh > 0.");
          return;
        }
        if (next.planned !== "") {
          try {
            parseDecimalUnits(next.planned, "kWh", KWH_DECIMALS, MAX_NOMINATION_WH, true);
          } catch (err) {
            at.say("error", `Planned output: ${(err as Error).message}.`);
            return;
          }
        }
        at.apply(next);
      },
    },
    input("policy-cost", "Cost", values.cost, "USD/kWh"),
    input("policy-margin", "Margin", values.margin, "USD/kWh"),
    input("policy-capacity", "Capacity", values.capacity, "kWh per period and direction"),
    input("policy-planned", "Planned output", values.planned, "kWh per period", {
      step: 0.001,
      placeholder: "your schedule",
    }),
    h("button", { type: "submit" }, "Apply"),
  );
  return [
    form,
    h(
      "p",
      { class: "hint" },
      "The verdicts below use the same rule as GridSwap's generator agents. Your planned output — what " +
        "your unit would produce in a period without any trade — is the nomination a Nominated offer " +
        "measures your delivery against (bounded by your metered history); each fill sends the nomination on its row.",
    ),
  ];
}

/** Withdraw USD or kWh from the vault to an address (default `address`), and deposit kWh into it. */
export function vaultForms(
  address: string,
  at: { withdraw(asset: "usd" | "kwh", amountText: string, to: string): void; deposit(amountText: string): void },
): HTMLElement[] {
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
  const to = h("input", { id: "withdraw-to", type: "text", value: address, size: 44, "aria-label": "To address" });
  const depositAmount = h("input", {
    id: "deposit-amount",
    type: "number",
    min: 0,
    step: 0.001,
    size: 12,
    "aria-label": "kWh to deposit",
  });
  return [
    h(
      "form",
      {
        class: "inline",
        onSubmit: (e: Event) => {
          e.preventDefault();
          at.withdraw(asset.value as "usd" | "kwh", amount.value, to.value);
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
          at.deposit(depositAmount.value);
        },
      },
      "Deposit ",
      depositAmount,
      " kWh of commitment capacity from your wallet into the vault ",
      h("button", { type: "submit", id: "deposit-button" }, "Deposit"),
    ),
  ];
}

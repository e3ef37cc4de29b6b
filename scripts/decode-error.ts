/**
 * Names a revert: the custom error (or Error(string) / Panic(uint256)) that revert data encodes,
 * decoded with the committed ABIs in abi/ — what an integrator has — and which contracts raise it.
 *
 *   npm run --silent decode-error -- <revert data 0x…> [--json]
 *   npm run --silent decode-error -- 'custom error 0xe450d38c: 000000…'   (cast's words, pasted)
 *
 * Exit status: 0 named; 1 unknown selector or data that is not that error's encoding — one line on
 * stderr naming the problem.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Interface, type ErrorFragment } from "ethers";
import { formatCall } from "../oracle/chain/errors";
import { PROJECT_ROOT, runCommand, UsageError, type CommandLine, type CommandSpec } from "./cli";

export const ABI_DIR = join(PROJECT_ROOT, "abi");

export const DECODE_ERROR_COMMAND: CommandSpec = {
  name: "decode-error",
  usage: "usage: npm run --silent decode-error -- <revert data 0x…> [--json]",
  options: {
    json: { type: "boolean", help: "print {name, signature, contracts, args} as one JSON object" },
  },
  positionals: {
    min: 1,
    max: 64,
    name: "revert data",
    help: "0x + the 4-byte selector + its ABI-encoded arguments (or cast's 'custom error 0x…: …', pasted)",
  },
};

export interface DecodedError {
  readonly name: string;
  /** Human-readable, with argument names: `ERC20InsufficientBalance(address sender, …)`. */
  readonly signature: string;
  readonly selector: string;
  /** The contracts (abi/<Contract>.json) whose ABI declares it. */
  readonly contracts: readonly string[];
  /** Argument name (or index) → value (integers as decimal strings). */
  readonly args: Readonly<Record<string, string>>;
  /** `Name(value, …)`, role hashes by name. */
  readonly call: string;
}

/** Every error of the committed ABIs by selector, with the contracts declaring it. */
export function abiErrors(dir = ABI_DIR): Map<string, { fragment: ErrorFragment; contracts: string[] }> {
  const out = new Map<string, { fragment: ErrorFragment; contracts: string[] }>();
  const standard = new Interface(["error Error(string message)", "error Panic(uint256 code)"]);
  standard.forEachError((fragment) => out.set(fragment.selector, { fragment, contracts: ["(Solidity)"] }));
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const iface = new Interface(JSON.parse(readFileSync(join(dir, file), "utf8")));
    iface.forEachError((fragment) => {
      const known = out.get(fragment.selector);
      if (known) known.contracts.push(basename(file, ".json"));
      else out.set(fragment.selector, { fragment, contracts: [basename(file, ".json")] });
    });
  }
  return out;
}

/** The revert data in what was given: 0x… hex, or cast's `custom error 0x<selector>: <hex>`. */
export function revertDataOf(text: string): string {
  const cast = /custom error (0x[0-9a-fA-F]{8})(?::\s*(?:0x)?([0-9a-fA-F]*))?/.exec(text);
  if (cast) return `${cast[1]}${cast[2] ?? ""}`.toLowerCase();
  const hex = text.trim().replace(/\s+/g, "");
  if (!/^0x[0-9a-fA-F]{8}([0-9a-fA-F]{2})*$/.test(hex)) {
    throw new UsageError(`'${text.trim().slice(0, 40)}' is not revert data (0x + a 4-byte selector + whole bytes)`);
  }
  return hex.toLowerCase();
}

/** Decodes revert data by the committed ABIs; an unknown selector or a bad encoding is an Error naming it. */
export function decodeError(data: string, errors = abiErrors()): DecodedError {
  const selector = data.slice(0, 10);
  const known = errors.get(selector);
  if (!known) {
    throw new Error(`${selector} is not the selector of any error in abi/*.json (GridSwap's contracts and Solidity's)`);
  }
  const { fragment, contracts } = known;
  const iface = new Interface([fragment]);
  let values: unknown[];
  try {
    values = [...iface.decodeErrorResult(fragment, data)];
  } catch (e) {
    throw new Error(
      `${selector} is ${fragment.format("sighash")}, but the data is not its encoding (${(e as Error).message.split(" (")[0]})`,
    );
  }
  const text = (v: unknown): string => (typeof v === "bigint" ? v.toString() : String(v));
  return {
    name: fragment.name,
    signature: fragment.format("full").replace(/^error /, ""),
    selector,
    contracts,
    args: Object.fromEntries(fragment.inputs.map((p, i) => [p.name || String(i), text(values[i])])),
    call: formatCall(fragment.name, values),
  };
}

function main(line: CommandLine): number {
  const decoded = decodeError(revertDataOf(line.positionals.join(" ")));
  if (line.values.json === true) {
    const { call: _call, ...rest } = decoded;
    process.stdout.write(`${JSON.stringify(rest)}\n`);
    return 0;
  }
  const width = Math.max(0, ...Object.keys(decoded.args).map((k) => k.length));
  process.stdout.write(
    [
      `${decoded.call}`,
      `  ${decoded.signature}, selector ${decoded.selector}, raised by ${decoded.contracts.join(", ")}`,
      ...Object.entries(decoded.args).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    ].join("\n") + "\n",
  );
  return 0;
}

if (require.main === module) runCommand(DECODE_ERROR_COMMAND, main);

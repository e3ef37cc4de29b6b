/**
 * `npm run decode-error`: every custom error of every contract in abi/ (and Solidity's Error and
 * Panic) decodes by name from the committed ABIs, with its arguments and the contracts that raise
 * it; cast's "custom error 0x…: …" text is taken as pasted; an unknown selector or a bad encoding
 * is refused, naming it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { Interface, type ParamType } from "ethers";
import { ABI_DIR, abiErrors, decodeError, revertDataOf } from "../../scripts/decode-error";

/** A value of each ABI type, different from zero, so that a decode that shifts a word shows. */
function sample(t: ParamType, i: number): unknown {
  if (t.baseType === "tuple") return t.components!.map((c, k) => sample(c, i + k + 1));
  if (t.baseType === "array") return [sample(t.arrayChildren!, i), sample(t.arrayChildren!, i + 1)];
  if (t.type === "address") return `0x${(i + 1).toString(16).padStart(40, "0")}`;
  if (t.type === "bool") return i % 2 === 0;
  if (t.type === "string") return `text ${i}`;
  if (t.type === "bytes") return "0x1234";
  if (t.type.startsWith("bytes")) return `0x${"ab".repeat(Number(t.type.slice(5)))}`;
  if (t.type.startsWith("int")) return -BigInt(i + 2);
  if (t.type.startsWith("uint")) return BigInt(i + 2);
  throw new Error(`no sample for ${t.type}`);
}

describe("decode-error: revert data named from abi/", function () {
  const files = readdirSync(ABI_DIR).filter((f) => f.endsWith(".json"));
  const errors = abiErrors();

  it("knows the deployed contracts' ABIs (the five and the bid book)", () => {
    expect(files.map((f) => f.replace(/\.json$/, "")).sort()).to.deep.equal(
      ["BidBook", "DemandResponseMarket", "GeneratorRegistry", "GridOracle", "KwhToken", "UsdToken"].sort(),
    );
  });

  for (const file of files) {
    it(`every custom error of ${file} decodes by name, with its arguments and the contracts raising it`, () => {
      const contract = file.replace(/\.json$/, "");
      const iface = new Interface(JSON.parse(readFileSync(join(ABI_DIR, file), "utf8")));
      let count = 0;
      iface.forEachError((fragment) => {
        const values = fragment.inputs.map((p, i) => sample(p, i));
        const data = iface.encodeErrorResult(fragment, values);
        const d = decodeError(revertDataOf(data), errors);
        expect(d.name, fragment.format()).to.equal(fragment.name);
        expect(d.selector).to.equal(fragment.selector);
        expect(d.contracts).to.include(contract);
        expect(Object.keys(d.args)).to.have.length(fragment.inputs.length);
        expect(d.call.startsWith(`${fragment.name}(`)).to.equal(true);
        count++;
      });
      expect(count, `${file} declares errors`).to.be.above(0);
    });
  }

  it("reads cast's words as pasted, Solidity's Error and Panic too", () => {
    const kwh = new Interface(JSON.parse(readFileSync(join(ABI_DIR, "KwhToken.json"), "utf8")));
    const data = kwh.encodeErrorResult("ERC20InsufficientBalance", [
      "0xebb0775c8157A4C1264b3B50729CB3872997f68b",
      0,
      2178,
    ]);
    const d = decodeError(revertDataOf(`execution reverted: custom error 0xe450d38c: ${data.slice(10)}`), errors);
    expect(d.call).to.equal("ERC20InsufficientBalance(0xebb0775c8157A4C1264b3B50729CB3872997f68b, 0, 2178)");
    expect(d.args).to.deep.equal({
      sender: "0xebb0775c8157A4C1264b3B50729CB3872997f68b",
      balance: "0",
      needed: "2178",
    });
    expect(d.contracts).to.have.members(["KwhToken", "UsdToken"]);
    const std = new Interface(["error Error(string)", "error Panic(uint256)"]);
    expect(decodeError(std.encodeErrorResult("Error", ["nope"]), errors).call).to.equal("Error(nope)");
    expect(decodeError(std.encodeErrorResult("Panic", [0x11]), errors).args).to.deep.equal({ code: "17" });
  });

  it("refuses an unknown selector, data that is not the error's encoding, and what is not hex, naming each", () => {
    expect(() => decodeError("0x12345678", errors)).to.throw(/^0x12345678 is not the selector of any error in abi/);
    expect(() => decodeError("0xe450d38c00", errors)).to.throw(
      /^0xe450d38c is ERC20InsufficientBalance\(address,uint256,uint256\), but the data is not its encoding/,
    );
    expect(() => revertDataOf("hello")).to.throw(/'hello' is not revert data/);
    expect(() => revertDataOf("0xe450d38")).to.throw(/is not revert data/);
  });
});

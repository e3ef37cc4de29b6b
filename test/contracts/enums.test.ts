/**
 * The TypeScript enum tables (oracle/chain/enums.ts) equal the Solidity enums, read from the
 * compiled AST in artifacts/build-info: same canonical names, same members, same order.
 */
import { expect } from "chai";
import { artifacts } from "hardhat";
import { enumName, Quality, SOLIDITY_ENUMS } from "../../oracle/chain/enums";

interface AstNode {
  nodeType?: string;
  canonicalName?: string;
  members?: { name: string }[];
  [key: string]: unknown;
}

/** Every EnumDefinition in the current build's ASTs of contracts/, by canonical name. */
async function solidityEnums(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    const n = node as AstNode;
    if (n.nodeType === "EnumDefinition" && n.canonicalName && n.members) {
      found.set(
        n.canonicalName,
        n.members.map((m) => m.name),
      );
    }
    for (const v of Object.values(n)) if (typeof v === "object") walk(v);
  };
  // Each source's AST from the build of its own artifacts: an unchanged file keeps an older
  // build-info, whose copies of the other sources may be stale.
  const seen = new Set<string>();
  for (const fqn of await artifacts.getAllFullyQualifiedNames()) {
    const source = fqn.slice(0, fqn.lastIndexOf(":"));
    if (!source.startsWith("contracts/") || seen.has(source)) continue;
    seen.add(source);
    const info = await artifacts.getBuildInfo(fqn);
    if (info) walk(info.output.sources[source].ast);
  }
  return found;
}

describe("enums: TypeScript tables = Solidity enums", () => {
  let sol: Map<string, string[]>;
  before(async () => {
    sol = await solidityEnums();
  });

  for (const [name, table] of Object.entries(SOLIDITY_ENUMS)) {
    // (sol is filled in before(); the loop only declares the tests)
    it(`${name}`, () => {
      expect(sol.has(name), `${name} in the compiled AST`).to.equal(true);
      const members = sol.get(name)!;
      expect(Object.keys(table)).to.deep.equal(members);
      expect(Object.values(table)).to.deep.equal(members.map((_, i) => i));
    });
  }

  it("every enum of contracts/ (outside test harnesses and mocks) has a TypeScript table", () => {
    // MarketBooks.Readiness is internal (why a book cannot be settled now): no caller sees it.
    const ours = [...sol.keys()].filter((n) => n !== "MarketBooks.Readiness");
    expect(ours.sort()).to.deep.equal(Object.keys(SOLIDITY_ENUMS).sort());
  });

  it("enumName names members and refuses unknown values", () => {
    expect(enumName(Quality, 2n)).to.equal("Estimated");
    expect(() => enumName(Quality, 9, "Quality")).to.throw(/Quality: no member has value 9/);
  });
});

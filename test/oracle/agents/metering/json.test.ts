/**
 * The line-tracking JSON reader behind the JSON meter files and HTTP answers: it accepts what
 * JSON.parse accepts (same values), keeps numbers' digits and lines, and refuses what JSON forbids.
 */
import { expect } from "chai";
import { JsonSyntaxError, parseJson, type JsonNode } from "../../../../oracle/agents/metering/json";

/** Back to a plain value (numbers through Number) to compare with JSON.parse. */
function plain(node: JsonNode): unknown {
  switch (node.kind) {
    case "object":
      return Object.fromEntries([...node.entries].map(([k, v]) => [k, plain(v)]));
    case "array":
      return node.items.map(plain);
    case "number":
      return Number(node.text);
    case "null":
      return null;
    default:
      return node.value;
  }
}

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJson(text);
  } catch (e) {
    expect(e).to.be.instanceOf(JsonSyntaxError);
    return e as JsonSyntaxError;
  }
  throw new Error(`expected a syntax error for ${text}`);
}

describe("line-tracking JSON reader", () => {
  it("reads what JSON.parse reads, to the same values", () => {
    const texts = [
      '{"a": [1, -2.5e-3, 0, true, false, null, "x\\"y\\\\z\\u00e9\\n"], "b": {}, "c": []}',
      "  42  ",
      '"☀ solar"',
      '[[[]], {"k": {"k": 1E+2}}]',
    ];
    for (const text of texts) expect(plain(parseJson(text)), text).to.deep.equal(JSON.parse(text));
  });

  it("keeps the exact digits of numbers and the line each value starts on", () => {
    const root = parseJson('{\n  "big": 9007199254740993,\n  "list": [\n    0.1,\n\n    {"x": 1}\n  ]\n}');
    if (root.kind !== "object") throw new Error("object expected");
    expect(root.entries.get("big")).to.deep.equal({ kind: "number", line: 2, text: "9007199254740993" });
    const list = root.entries.get("list");
    if (list?.kind !== "array") throw new Error("array expected");
    expect(list.items.map((i) => i.line)).to.deep.equal([4, 6]);
    expect(parseJson("\n\n7", 10).line).to.equal(12);
  });

  it("keeps the first of a repeated key and names it, so a reader can refuse that one object", () => {
    const root = parseJson('{"list": [\n  {"a": 1,\n   "a": 2, "a": 3},\n  {"b": 4}\n]}');
    if (root.kind !== "object") throw new Error("object expected");
    expect(root.duplicateKey).to.equal(undefined);
    const list = root.entries.get("list");
    if (list?.kind !== "array") throw new Error("array expected");
    const [first, second] = list.items;
    if (first.kind !== "object" || second.kind !== "object") throw new Error("objects expected");
    expect(first.entries.get("a")).to.deep.equal({ kind: "number", line: 2, text: "1" });
    expect(first.duplicateKey).to.deep.equal({ key: "a", line: 3 });
    expect(second.duplicateKey).to.equal(undefined);
  });

  it("refuses what JSON forbids, naming the line", () => {
    const cases: [string, number, RegExp][] = [
      ['{"a": 1,}', 1, /expected a "key", found "}"/],
      ["[1,\n2,\n]", 3, /expected a value, found "]"/],
      ["[01]", 1, /expected "," or "]" after an array element, found "1]"/],
      ["[1.]", 1, /found "\.]"/],
      ["{'a': 1}", 1, /expected a "key"/],
      ['"tab\there"', 1, /unterminated or invalid string/],
      ['"\\x41"', 1, /invalid escape in string/],
      ["[1] [2]", 1, /unexpected "\[2\]" after the JSON value/],
      ["", 1, /expected a value, found end of input/],
      ["[NaN]", 1, /expected a value, found "NaN\]"/],
      ["[".repeat(70) + "]".repeat(70), 1, /nested deeper than 64 levels/],
    ];
    for (const [text, line, problem] of cases) {
      const e = syntaxError(text);
      expect(e.line, text).to.equal(line);
      expect(e.problem, text).to.match(problem);
    }
  });
});

/**
 * A small strict JSON reader that keeps what JSON.parse throws away and meter files need:
 * the line each value starts on (so a bad record is reported as file:line — Node's JSON.parse
 * names a position for some syntax errors and none for others) and the exact text of numbers
 * (so "0.1" MW and 9007199254740993 Wh are converted from their digits, not from a double).
 * A repeated key is not "last one wins": the object keeps the first value and names the first
 * repeated key (`duplicateKey`), so the reader can refuse that one object — one record — rather
 * than the whole text. Strings are decoded by JSON.parse.
 */
export type JsonNode =
  | {
      readonly kind: "object";
      readonly line: number;
      readonly entries: ReadonlyMap<string, JsonNode>;
      /** The first key given twice, and the line of its second occurrence. */
      readonly duplicateKey?: { readonly key: string; readonly line: number };
    }
  | { readonly kind: "array"; readonly line: number; readonly items: readonly JsonNode[] }
  | { readonly kind: "string"; readonly line: number; readonly value: string }
  | { readonly kind: "number"; readonly line: number; readonly text: string }
  | { readonly kind: "boolean"; readonly line: number; readonly value: boolean }
  | { readonly kind: "null"; readonly line: number };

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = "JsonSyntaxError";
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// A JSON string token: no raw control characters (JSON forbids them), escapes checked by JSON.parse afterwards.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\.)*"/y;
const WHITESPACE = /[ \t\r\n]*/y;
const MAX_DEPTH = 64;

/** Parses one JSON text (the whole of `text`); `firstLine` numbers its first line. */
export function parseJson(text: string, firstLine = 1): JsonNode {
  let pos = 0;
  let line = firstLine;

  const fail = (problem: string): never => {
    throw new JsonSyntaxError(line, problem);
  };
  const skipWhitespace = (): void => {
    WHITESPACE.lastIndex = pos;
    const ws = WHITESPACE.exec(text)?.[0] ?? "";
    for (let i = 0; i < ws.length; i++) if (ws.charCodeAt(i) === 10) line++;
    pos += ws.length;
  };
  // The text found, on one line (a message names its line already).
  const describe = (): string =>
    pos >= text.length ? "end of input" : `"${text.slice(pos, pos + 12).replace(/\s+/g, " ")}"`;
  const expect = (char: string, what: string): void => {
    skipWhitespace();
    if (text[pos] !== char) fail(`expected ${what}, found ${describe()}`);
    pos++;
  };
  const readString = (): string => {
    STRING.lastIndex = pos;
    const token = STRING.exec(text)?.[0];
    if (token === undefined) fail(`unterminated or invalid string starting ${describe()}`);
    try {
      const value = JSON.parse(token as string) as string;
      pos += (token as string).length;
      return value;
    } catch {
      return fail(`invalid escape in string ${describe()}`);
    }
  };

  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    skipWhitespace();
    const start = line;
    const c = text[pos];
    if (c === "{") {
      pos++;
      const entries = new Map<string, JsonNode>();
      let duplicateKey: { key: string; line: number } | undefined;
      const object = (): JsonNode => ({ kind: "object", line: start, entries, ...(duplicateKey && { duplicateKey }) });
      skipWhitespace();
      if (text[pos] === "}") {
        pos++;
        return object();
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail(`expected a "key", found ${describe()}`);
        const keyLine = line;
        const key = readString();
        expect(":", `":" after "${key}"`);
        const item = value(depth + 1);
        if (!entries.has(key)) entries.set(key, item);
        else duplicateKey ??= { key, line: keyLine };
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return object();
        }
        fail(`expected "," or "}" after the value of "${key}", found ${describe()}`);
      }
    }
    if (c === "[") {
      pos++;
      const items: JsonNode[] = [];
      skipWhitespace();
      if (text[pos] === "]") {
        pos++;
        return { kind: "array", line: start, items };
      }
      for (;;) {
        items.push(value(depth + 1));
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return { kind: "array", line: start, items };
        }
        fail(`expected "," or "]" after an array element, found ${describe()}`);
      }
    }
    if (c === '"') return { kind: "string", line: start, value: readString() };
    for (const [word, node] of [
      ["true", { kind: "boolean", line: start, value: true }],
      ["false", { kind: "boolean", line: start, value: false }],
      ["null", { kind: "null", line: start }],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return node;
      }
    }
    NUMBER.lastIndex = pos;
    const number = NUMBER.exec(text)?.[0];
    if (number === undefined) return fail(`expected a value, found ${describe()}`);
    pos += number.length;
    return { kind: "number", line: start, text: number };
  };

  const root = value(0);
  skipWhitespace();
  if (pos < text.length) fail(`unexpected ${describe()} after the JSON value`);
  return root;
}

/**
 * The tokenizer of the MATLAB subset: numbers, names, strings, operators, newlines (statement
 * ends), with comments, block comments and `...` continuations dropped. A plain block of numbers
 * assigned with `=` (all of a case file's data) becomes one "mat" token read by the literal
 * scanner (literal.ts) instead of a token per number.
 */
import { CaseFormatError } from "../../errors";
import { NumericLiteralScanner } from "./literal";
import { isIdentPart, isIdentStart, NumberReader, startsNumber } from "./numbers";
import type { MatrixValue } from "./values";

/** "mat": a plain numeric matrix literal read in one go by the literal scanner. */
export type TokenKind = "num" | "id" | "str" | "op" | "nl" | "eof" | "mat";

export interface Token {
  kind: TokenKind;
  text: string;
  num: number;
  line: number;
  /** Whitespace precedes the token (significant inside brackets: `[1 -2]` vs `[1 - 2]`). */
  space: boolean;
  /** The value of a "mat" token. */
  matrix: MatrixValue | null;
}

const OPERATORS_2 = new Set([".*", "./", ".^", ".'", "==", "~=", "<=", ">=", "&&", "||"]);
const OPERATORS_1 = new Set([..."=+-*/\\^()[]{},;:.'<>&|~!@"]);

export function tokenize(src: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let space = false;
  let bracketDepth = 0;
  const n = src.length;
  const push = (kind: TokenKind, text: string, num = 0, matrix: MatrixValue | null = null): void => {
    tokens.push({ kind, text, num, line, space, matrix });
    space = false;
  };
  const scanner = new NumericLiteralScanner(src);
  const numbers = new NumberReader();
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 91 /* [ */) {
      // The right-hand side of an assignment that is a plain block of numbers (all of a case
      // file's data) is read in one pass; anything else goes through the tokens below.
      const prev = tokens[tokens.length - 1];
      if (prev !== undefined && prev.kind === "op" && prev.text === "=" && scanner.scan(i)) {
        push("mat", "[", 0, scanner.matrix());
        line += scanner.newlines;
        i = scanner.end;
        continue;
      }
    }
    if (c === 32 || c === 9 || c === 13) {
      space = true;
      i++;
      continue;
    }
    if (c === 10) {
      push("nl", "\n");
      line++;
      i++;
      continue;
    }
    if (c === 37 /* % */) {
      // Block comment: a line holding only %{ ... up to a line holding only %}.
      const lineStart = src.lastIndexOf("\n", i - 1) + 1;
      const lineEnd = src.indexOf("\n", i) === -1 ? n : src.indexOf("\n", i);
      if (src.slice(lineStart, lineEnd).trim() === "%{") {
        const close = src.slice(lineEnd).search(/\n[ \t]*%\}[ \t\r]*(\n|$)/);
        if (close === -1) throw new CaseFormatError("unterminated block comment %{", file, line);
        const stop = lineEnd + close + 1;
        line += (src.slice(i, stop).match(/\n/g) ?? []).length;
        i = src.indexOf("\n", stop) === -1 ? n : src.indexOf("\n", stop);
        continue;
      }
      i = lineEnd;
      continue;
    }
    if (c === 46 /* . */ && src.startsWith("...", i)) {
      // Continuation: the rest of the line is a comment and the newline is whitespace.
      const eol = src.indexOf("\n", i);
      i = eol === -1 ? n : eol + 1;
      line++;
      space = true;
      continue;
    }
    if (startsNumber(src, i)) {
      const end = numbers.read(src, i);
      push("num", src.slice(i, end), numbers.value);
      i = end;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      push("id", src.slice(i, j));
      i = j;
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const prev = tokens[tokens.length - 1];
      const prevEndsValue =
        prev !== undefined &&
        (prev.kind === "num" ||
          prev.kind === "id" ||
          prev.kind === "str" ||
          prev.kind === "mat" ||
          (prev.kind === "op" && (prev.text === ")" || prev.text === "]" || prev.text === "}" || prev.text === "'")));
      const isTranspose = c === 39 && prevEndsValue && !(space && bracketDepth > 0);
      if (!isTranspose) {
        const quote = src[i];
        let j = i + 1;
        let text = "";
        for (;;) {
          if (j >= n || src[j] === "\n") throw new CaseFormatError("unterminated string", file, line);
          if (src[j] === quote) {
            if (src[j + 1] === quote) {
              text += quote;
              j += 2;
              continue;
            }
            break;
          }
          text += src[j];
          j++;
        }
        push("str", text);
        i = j + 1;
        continue;
      }
    }
    const two = src.slice(i, i + 2);
    if (OPERATORS_2.has(two)) {
      push("op", two);
      i += 2;
      continue;
    }
    const one = src[i];
    if (OPERATORS_1.has(one)) {
      if (one === "[" || one === "{") bracketDepth++;
      if (one === "]" || one === "}") bracketDepth = Math.max(0, bracketDepth - 1);
      push("op", one);
      i++;
      continue;
    }
    throw new CaseFormatError(`unexpected character '${one}'`, file, line);
  }
  push("eof", "");
  return tokens;
}

/**
 * A small interpreter for the subset of MATLAB that MATPOWER case files are written in.
 *
 * Most case files are pure data (`mpc.bus = [ ... ];`). Some, such as the distribution cases
 * MATPOWER ships in kW and ohms, end with statements that convert the data
 * (`mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;`). A loader that skipped those would
 * return numbers off by a factor of a thousand without a word, so we evaluate them with MATLAB's
 * own semantics: numeric matrices, indexing with `:`/vectors/`end`, element-wise and scalar
 * arithmetic, the `idx_*` column-name functions and a few pure built-ins. Anything outside that
 * subset (control flow, other functions, logical indexing) is refused with the file and line,
 * never guessed. No general-purpose MATLAB parser exists on npm, hence this hand-written one.
 */
import { CaseFormatError } from "../errors";
import { MATPOWER_INDEX_FUNCTIONS } from "./columns";

export interface MatrixValue {
  readonly kind: "matrix";
  rows: number;
  cols: number;
  /** Row-major. */
  data: number[];
}
export interface StringValue {
  readonly kind: "string";
  readonly value: string;
}
export interface CellValue {
  readonly kind: "cell";
  readonly items: Value[];
}
export interface StructValue {
  readonly kind: "struct";
  readonly fields: Map<string, Value>;
}
export type Value = MatrixValue | StringValue | CellValue | StructValue;

export interface MatlabProgramResult {
  /** Name after `function out = NAME`, if any. */
  functionName?: string;
  /** Name of the function's output variable (`mpc` in `function mpc = case9`). */
  outputName?: string;
  variables: Map<string, Value>;
}

/** "mat": a plain numeric matrix literal read in one go by `scanNumericLiteral`. */
type TokenKind = "num" | "id" | "str" | "op" | "nl" | "eof" | "mat";
interface Token {
  kind: TokenKind;
  text: string;
  num: number;
  line: number;
  /** Whitespace precedes the token (significant inside brackets: `[1 -2]` vs `[1 - 2]`). */
  space: boolean;
  /** The value of a "mat" token. */
  matrix: MatrixValue | null;
}

export interface MatlabOptions {
  /**
   * Read plain numeric matrix literals (`mpc.bus = [ ... ];`) with the fast scanner instead of
   * token by token (default true). Both give the same matrices; the switch exists for tests.
   */
  readonly fastLiterals?: boolean;
}

const OPERATORS_2 = new Set([".*", "./", ".^", ".'", "==", "~=", "<=", ">=", "&&", "||"]);
const OPERATORS_1 = new Set([..."=+-*/\\^()[]{},;:.'<>&|~!@"]);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

const NUMBER = /(\d+(?:\.(?![*/\\^'])\d*)?|\.\d+)([eE][+-]?\d+)?/y;

/** Exact powers of ten: every 10^k with k ≤ 22 is a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * Reads a matrix literal that is nothing but numbers (decimal literals with an optional sign
 * glued to them, Inf, NaN) separated by blanks and commas, rows ended by semicolons or newlines,
 * with % comments and ... continuations — which is how case files write all their data — in one
 * pass over the characters, straight into a typed buffer, with no token or 1×1 matrix per number.
 *
 * It accepts a literal only when the token-by-token parser would read exactly the same numbers;
 * anything else (an operator, a name, a blank after a sign, rows of unequal length, a block
 * comment, no closing bracket...) makes `scan` return false and the literal is left to the
 * interpreter, which then computes it or reports the same file:line error as ever.
 */
class NumericLiteralScanner {
  /** Shape and end (index after `]`) of the last accepted literal, and the newlines it spans. */
  rows = 0;
  cols = 0;
  end = 0;
  newlines = 0;
  private buffer = new Float64Array(1024);
  private count = 0;
  private value = 0;

  constructor(private readonly src: string) {}

  /** The numbers of the last accepted literal, row-major. */
  values(): number[] {
    const out = new Array<number>(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.buffer[k];
    return out;
  }

  /** Tries to read the literal whose `[` is at `open`. */
  scan(open: number): boolean {
    const src = this.src;
    const n = src.length;
    this.count = 0;
    this.newlines = 0;
    if (src.charCodeAt(open) !== 91 /* [ */) return false;
    let rows = 0;
    let cols = -1;
    let rowLength = 0;
    let i = open + 1;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 44 /* , */) {
        i++;
        continue;
      }
      if (c === 10 || c === 59 /* ; */ || c === 93 /* ] */) {
        if (rowLength > 0) {
          if (cols === -1) cols = rowLength;
          else if (rowLength !== cols) return false;
          rows++;
          rowLength = 0;
        }
        if (c === 10) this.newlines++;
        i++;
        if (c === 93) {
          this.rows = rows;
          this.cols = rows === 0 ? 0 : cols;
          this.end = i;
          return true;
        }
        continue;
      }
      if (c === 37 /* % */) {
        const lineStart = src.lastIndexOf("\n", i - 1) + 1;
        let lineEnd = src.indexOf("\n", i);
        if (lineEnd === -1) lineEnd = n;
        if (src.slice(lineStart, lineEnd).trim() === "%{") return false; // a block comment
        i = lineEnd;
        continue;
      }
      if (c === 46 /* . */ && src.startsWith("...", i)) {
        // Continuation: the rest of the line is a comment, the newline a blank.
        const eol = src.indexOf("\n", i);
        if (eol === -1) return false;
        this.newlines++;
        i = eol + 1;
        continue;
      }
      // An element: [+-]number, Inf or NaN, followed by a separator.
      let sign = 1;
      if (c === 45 /* - */ || c === 43 /* + */) {
        if (c === 45) sign = -1;
        i++;
      }
      const stop = this.element(i);
      if (stop < 0) return false;
      const after = stop < n ? src.charCodeAt(stop) : -1;
      if (
        !(
          after === 32 ||
          after === 9 ||
          after === 13 ||
          after === 10 ||
          after === 44 ||
          after === 59 ||
          after === 93 ||
          after === 37
        )
      ) {
        return false;
      }
      this.push(sign * this.value);
      rowLength++;
      i = stop;
    }
    return false; // no closing bracket
  }

  /**
   * Reads an unsigned number, Inf or NaN at `i` into `value`; returns the index after it, or -1.
   * Numbers follow the tokenizer's grammar (`NUMBER`): digits with an optional fraction (a `.`
   * followed by an operator character belongs to the operator) or a leading `.`, then an
   * optional exponent.
   */
  private element(i: number): number {
    const src = this.src;
    const n = src.length;
    const start = i;
    let c = i < n ? src.charCodeAt(i) : -1;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      const name = src.slice(i, j);
      if (name === "Inf" || name === "inf") this.value = Infinity;
      else if (name === "NaN" || name === "nan") this.value = NaN;
      else return -1;
      return j;
    }
    let mantissa = 0;
    let digits = 0;
    let fractionDigits = 0;
    if (isDigit(c)) {
      while (i < n && isDigit((c = src.charCodeAt(i)))) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        i++;
      }
      if (c === 46 && i < n) {
        const d = i + 1 < n ? src.charCodeAt(i + 1) : -1;
        // `1./x` and `1.'`: the dot starts an operator (the same lookahead as NUMBER).
        if (!(d === 42 || d === 47 || d === 92 || d === 94 || d === 39)) {
          i++;
          while (i < n && isDigit((c = src.charCodeAt(i)))) {
            mantissa = mantissa * 10 + (c - 48);
            digits++;
            fractionDigits++;
            i++;
          }
        }
      }
    } else if (c === 46 && i + 1 < n && isDigit(src.charCodeAt(i + 1))) {
      i++;
      while (i < n && isDigit((c = src.charCodeAt(i)))) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        fractionDigits++;
        i++;
      }
    } else {
      return -1;
    }
    let exponent = 0;
    c = i < n ? src.charCodeAt(i) : -1;
    if (c === 101 || c === 69 /* e E */) {
      let j = i + 1;
      let expSign = 1;
      const s = j < n ? src.charCodeAt(j) : -1;
      if (s === 43 || s === 45) {
        if (s === 45) expSign = -1;
        j++;
      }
      if (j < n && isDigit(src.charCodeAt(j))) {
        while (j < n && isDigit((c = src.charCodeAt(j)))) {
          if (exponent < 100000) exponent = exponent * 10 + (c - 48);
          j++;
        }
        exponent *= expSign;
        i = j;
      }
    }
    // Clinger's fast path: an integer mantissa below 2^53 times or divided by an exact power of
    // ten is one correctly rounded operation, so it equals Number(text). Otherwise Number does it.
    const scale = exponent - fractionDigits;
    if (digits <= 15 && scale >= -22 && scale <= 22) {
      this.value = scale >= 0 ? mantissa * POWERS_OF_TEN[scale] : mantissa / POWERS_OF_TEN[-scale];
    } else {
      this.value = Number(src.slice(start, i));
    }
    return i;
  }

  private push(x: number): void {
    if (this.count === this.buffer.length) {
      const grown = new Float64Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.count++] = x;
  }
}

function tokenize(src: string, file: string, fastLiterals = true): Token[] {
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
  const scanner = fastLiterals ? new NumericLiteralScanner(src) : undefined;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 91 /* [ */ && scanner !== undefined) {
      // The right-hand side of an assignment that is a plain block of numbers (all of a case
      // file's data) is read in one pass; anything else goes through the tokens below.
      const prev = tokens[tokens.length - 1];
      if (prev !== undefined && prev.kind === "op" && prev.text === "=" && scanner.scan(i)) {
        push("mat", "[", 0, matrix(scanner.rows, scanner.cols, scanner.values()));
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
    if (isDigit(c) || (c === 46 && i + 1 < n && isDigit(src.charCodeAt(i + 1)))) {
      // A '.' before an operator belongs to it: `1./x` is 1 ./ x (not 1. / x).
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      if (!m) throw new CaseFormatError(`malformed number`, file, line);
      push("num", m[0], Number(m[0]));
      i += m[0].length;
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

function matrix(rows: number, cols: number, data: number[]): MatrixValue {
  return { kind: "matrix", rows, cols, data };
}
function scalar(x: number): MatrixValue {
  return matrix(1, 1, [x]);
}

/** One dimension of an index list: the index values (1-based) or ':' for all. */
type IndexArg = MatrixValue | ":";

/** What `end` means inside the index list being parsed. */
interface EndContext {
  target: MatrixValue;
  position: number;
  count: number;
}

const BUILTINS = new Set(["size", "ones", "zeros", "abs", "sqrt"]);
const UNSUPPORTED_KEYWORDS = new Set([
  "if",
  "elseif",
  "else",
  "for",
  "while",
  "switch",
  "case",
  "otherwise",
  "try",
  "catch",
  "end",
  "global",
  "persistent",
  "break",
  "continue",
]);

class Interpreter {
  private pos = 0;
  /** > 0 while parsing directly inside [ ] or { }, where whitespace separates elements. */
  private inMatrix = 0;
  private endContext: EndContext | undefined;
  /** Name the matrix literal about to be parsed is assigned to, for error messages. */
  private literalTarget: string | undefined;
  readonly variables = new Map<string, Value>();
  functionName: string | undefined;
  outputName: string | undefined;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  private get tok(): Token {
    return this.tokens[this.pos];
  }
  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }
  private fail(message: string, token: Token = this.tok): never {
    throw new CaseFormatError(message, this.file, token.line);
  }
  private isOp(text: string, token: Token = this.tok): boolean {
    return token.kind === "op" && token.text === text;
  }
  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail(`expected '${text}' but found ${this.describe(this.tok)}`);
    return this.tokens[this.pos++];
  }
  private describe(t: Token): string {
    if (t.kind === "eof") return "end of file";
    if (t.kind === "nl") return "end of line";
    return `'${t.text}'`;
  }

  run(): void {
    while (this.tok.kind !== "eof") {
      if (this.tok.kind === "nl" || this.isOp(";") || this.isOp(",")) {
        this.pos++;
        continue;
      }
      this.statement();
    }
  }

  private endStatement(): void {
    const t = this.tok;
    if (t.kind === "nl" || t.kind === "eof" || this.isOp(";") || this.isOp(",")) {
      if (t.kind !== "eof") this.pos++;
      return;
    }
    this.fail(`unexpected ${this.describe(t)} after statement`);
  }

  private statement(): void {
    const t = this.tok;
    if (t.kind === "id" && t.text === "function") {
      this.functionHeader();
      return;
    }
    if (t.kind === "id" && t.text === "return") {
      // Nothing after `return` runs: skip to the end so dead code cannot change the data.
      this.pos++;
      this.endStatement();
      this.pos = this.tokens.length - 1;
      return;
    }
    if (t.kind === "id" && UNSUPPORTED_KEYWORDS.has(t.text)) {
      this.fail(`unsupported statement '${t.text}': only assignments can follow the case data`);
    }
    if (this.isOp("[")) {
      this.multiAssignment();
      return;
    }
    if (t.kind === "id") {
      if (!this.statementHasAssignment()) {
        this.fail(`unsupported statement '${t.text}': only assignments can follow the case data (no function calls)`);
      }
      this.assignment();
      return;
    }
    this.fail(`unsupported statement starting with ${this.describe(t)}`);
  }

  /** Whether the statement starting here has an '=' outside brackets (else it is a call like `disp(x)`). */
  private statementHasAssignment(): boolean {
    let depth = 0;
    for (let k = this.pos; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      if (t.kind === "eof" || (t.kind === "nl" && depth === 0)) return false;
      if (t.kind !== "op") continue;
      if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
      else if (t.text === ")" || t.text === "]" || t.text === "}") depth = Math.max(0, depth - 1);
      else if (depth === 0 && (t.text === ";" || t.text === ",")) return false;
      else if (depth === 0 && t.text === "=") return true;
    }
    return false;
  }

  private functionHeader(): void {
    this.pos++;
    const first = this.tok;
    if (first.kind !== "id") this.fail("expected a name after 'function'");
    this.pos++;
    if (this.isOp("=")) {
      this.pos++;
      if (this.tok.kind !== "id") this.fail("expected the function name after '='");
      this.outputName = first.text;
      this.functionName = this.tok.text;
      this.pos++;
    } else {
      this.functionName = first.text;
    }
    if (this.isOp("(")) {
      while (!this.isOp(")")) {
        if (this.tok.kind === "eof" || this.tok.kind === "nl") this.fail("unterminated parameter list");
        this.pos++;
      }
      this.pos++;
    }
    this.endStatement();
  }

  /** `[A, B, ...] = idx_bus;` binds MATPOWER's named column indices. */
  private multiAssignment(): void {
    const start = this.tok;
    this.pos++;
    const names: string[] = [];
    while (!this.isOp("]")) {
      if (this.isOp(",")) {
        this.pos++;
        continue;
      }
      if (this.isOp("~")) {
        // `[~, PV] = idx_bus;` ignores an output.
        names.push("~");
        this.pos++;
        continue;
      }
      if (this.tok.kind !== "id")
        this.fail(`expected a variable name in the output list, found ${this.describe(this.tok)}`);
      names.push(this.tok.text);
      this.pos++;
    }
    this.pos++;
    this.expectOp("=");
    const fn = this.tok;
    if (fn.kind !== "id") this.fail("expected a function name after '='");
    const values = MATPOWER_INDEX_FUNCTIONS[fn.text];
    if (!values) this.fail(`unsupported function '${fn.text}' in a multiple assignment`, fn);
    this.pos++;
    if (this.isOp("(")) {
      this.pos++;
      this.expectOp(")");
    }
    if (names.length > values.length) {
      this.fail(`${fn.text} returns ${values.length} values but ${names.length} are requested`, start);
    }
    names.forEach((name, k) => {
      if (name !== "~") this.variables.set(name, scalar(values[k]));
    });
    this.endStatement();
  }

  private assignment(): void {
    const nameTok = this.tok;
    const path = [nameTok.text];
    this.pos++;
    while (this.isOp(".") && this.peek().kind === "id") {
      this.pos++;
      path.push(this.tok.text);
      this.pos++;
    }
    let index: IndexArg[] | undefined;
    if (this.isOp("(")) {
      const target = this.lookupPath(path, nameTok, true);
      if (target !== undefined && target.kind !== "matrix") this.fail(`'${path.join(".")}' is not a numeric matrix`);
      index = this.indexArguments(target ?? matrix(0, 0, []));
    }
    if (!this.isOp("=")) this.fail(`expected '=' after '${path.join(".")}', found ${this.describe(this.tok)}`);
    this.pos++;
    if (index === undefined && this.isOp("[")) this.literalTarget = path.join(".");
    const value = this.expression();
    if (index === undefined) {
      this.assignPath(path, value, nameTok);
    } else {
      const target = (this.lookupPath(path, nameTok, true) as MatrixValue | undefined) ?? matrix(0, 0, []);
      if (value.kind !== "matrix") this.fail("only numbers can be assigned into a matrix");
      this.assignPath(path, this.assignIndexed(target, index, value, nameTok), nameTok);
    }
    this.endStatement();
  }

  private lookupPath(path: string[], at: Token, allowMissing: boolean): Value | undefined {
    let value = this.variables.get(path[0]);
    for (let k = 1; k < path.length && value !== undefined; k++) {
      if (value.kind !== "struct") this.fail(`'${path.slice(0, k).join(".")}' is not a struct`, at);
      value = value.fields.get(path[k]);
    }
    if (value === undefined && !allowMissing) this.fail(`undefined name '${path.join(".")}'`, at);
    return value;
  }

  private assignPath(path: string[], value: Value, at: Token): void {
    if (path.length === 1) {
      this.variables.set(path[0], value);
      return;
    }
    let container = this.variables.get(path[0]);
    if (container === undefined) {
      container = { kind: "struct", fields: new Map() };
      this.variables.set(path[0], container);
    }
    for (let k = 1; k < path.length - 1; k++) {
      if (container.kind !== "struct") this.fail(`'${path.slice(0, k).join(".")}' is not a struct`, at);
      let next: Value | undefined = container.fields.get(path[k]);
      if (next === undefined) {
        next = { kind: "struct", fields: new Map() };
        container.fields.set(path[k], next);
      }
      container = next;
    }
    if (container.kind !== "struct") this.fail(`'${path.slice(0, -1).join(".")}' is not a struct`, at);
    container.fields.set(path[path.length - 1], value);
  }

  /** Parses `(i, j)` after a matrix name; returns 1-based index lists or ':' per dimension. */
  private indexArguments(target: MatrixValue): IndexArg[] {
    const open = this.expectOp("(");
    const count = this.countArguments();
    const args: IndexArg[] = [];
    const savedMatrix = this.inMatrix;
    const savedEnd = this.endContext;
    this.inMatrix = 0;
    while (!this.isOp(")")) {
      if (args.length > 0) this.expectOp(",");
      if (this.isOp(":") && (this.isOp(",", this.peek()) || this.isOp(")", this.peek()))) {
        this.pos++;
        args.push(":");
        continue;
      }
      this.endContext = { target, position: args.length, count };
      const v = this.expression();
      if (v.kind !== "matrix") this.fail("an index must be numeric", open);
      for (const x of v.data) {
        if (!Number.isInteger(x) || x < 1) this.fail(`index ${x} is not a positive integer`, open);
      }
      args.push(v);
    }
    this.pos++;
    this.inMatrix = savedMatrix;
    this.endContext = savedEnd;
    if (args.length < 1 || args.length > 2) this.fail(`${args.length}-dimensional indexing is not supported`, open);
    return args;
  }

  private countArguments(): number {
    let depth = 0;
    let count = 1;
    for (let k = this.pos; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      if (t.kind === "eof") break;
      if (t.kind !== "op") continue;
      if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
      else if (t.text === ")" || t.text === "]" || t.text === "}") {
        if (depth === 0) return count;
        depth--;
      } else if (t.text === "," && depth === 0) count++;
    }
    return count;
  }

  private resolveIndex(arg: IndexArg, extent: number): number[] {
    if (arg !== ":") return arg.data.map((x) => x - 1);
    return Array.from({ length: extent }, (_, k) => k);
  }

  private readIndexed(m: MatrixValue, args: IndexArg[], at: Token): MatrixValue {
    if (args.length === 1) {
      const idx = this.resolveIndex(args[0], m.rows * m.cols);
      const data = idx.map((k) => {
        if (k >= m.rows * m.cols) this.fail(`index ${k + 1} exceeds the ${m.rows * m.cols} elements`, at);
        // Linear indexing is column-major in MATLAB.
        return m.data[(k % m.rows) * m.cols + Math.floor(k / m.rows)];
      });
      // MATLAB's shape rule: x(:) is a column; a vector indexed by a vector keeps its own
      // orientation; anything else takes the shape of the index.
      if (args[0] === ":") return matrix(data.length, 1, data);
      const isVector = (m.rows === 1) !== (m.cols === 1);
      const index = args[0];
      const indexIsVector = index.rows === 1 || index.cols === 1;
      if (isVector && indexIsVector) return m.rows === 1 ? matrix(1, data.length, data) : matrix(data.length, 1, data);
      return matrix(index.rows, index.cols, data);
    }
    const rows = this.resolveIndex(args[0], m.rows);
    const cols = this.resolveIndex(args[1], m.cols);
    const data: number[] = [];
    for (const r of rows) {
      if (r >= m.rows) this.fail(`row index ${r + 1} exceeds the ${m.rows} rows`, at);
      for (const c of cols) {
        if (c >= m.cols) this.fail(`column index ${c + 1} exceeds the ${m.cols} columns`, at);
        data.push(m.data[r * m.cols + c]);
      }
    }
    return matrix(rows.length, cols.length, data);
  }

  private assignIndexed(target: MatrixValue, args: IndexArg[], value: MatrixValue, at: Token): MatrixValue {
    if (args.length === 1) this.fail("linear-index assignment is not supported", at);
    const rows = this.resolveIndex(args[0], target.rows);
    const cols = this.resolveIndex(args[1], target.cols);
    const isScalar = value.rows === 1 && value.cols === 1;
    if (!isScalar && (value.rows !== rows.length || value.cols !== cols.length)) {
      this.fail(`cannot assign a ${value.rows}x${value.cols} value to a ${rows.length}x${cols.length} selection`, at);
    }
    // MATLAB grows a matrix, zero-filled, when an assignment indexes past its end.
    const newRows = Math.max(target.rows, ...rows.map((r) => r + 1));
    const newCols = Math.max(target.cols, ...cols.map((c) => c + 1));
    let out = target;
    if (newRows !== target.rows || newCols !== target.cols) {
      const data = new Array<number>(newRows * newCols).fill(0);
      for (let r = 0; r < target.rows; r++)
        for (let c = 0; c < target.cols; c++) data[r * newCols + c] = target.data[r * target.cols + c];
      out = matrix(newRows, newCols, data);
    } else {
      out = matrix(target.rows, target.cols, target.data.slice());
    }
    rows.forEach((r, i) =>
      cols.forEach((c, j) => {
        out.data[r * out.cols + c] = isScalar ? value.data[0] : value.data[i * value.cols + j];
      }),
    );
    return out;
  }

  // ---- expressions -------------------------------------------------------------------------

  private expression(): Value {
    return this.range();
  }

  private range(): Value {
    const startTok = this.tok;
    const first = this.additive();
    // Unlike + and -, ':' is never unary, so `[1 :3]` is the range 1:3 even inside brackets.
    if (!this.isOp(":")) return first;
    this.pos++;
    const second = this.additive();
    let step = 1;
    let stop: Value = second;
    if (this.isOp(":")) {
      this.pos++;
      step = this.toScalar(second, startTok);
      stop = this.additive();
    }
    const a = this.toScalar(first, startTok);
    const b = this.toScalar(stop, startTok);
    if (![a, step, b].every(Number.isFinite)) this.fail("a range needs finite start, step and stop", startTok);
    if (step === 0) return matrix(1, 0, []);
    // Elements are a + k*step, as in Octave (not a running sum, which drifts: 0:0.1:1 would end
    // at 0.9999999999999999), and none passes the stop value.
    const count = Math.floor((b - a) / step + 1e-10) + 1;
    const data: number[] = [];
    for (let k = 0; k < count; k++) data.push(step > 0 ? Math.min(a + k * step, b) : Math.max(a + k * step, b));
    return matrix(1, data.length, data);
  }

  /** Inside [ ], `a -b` starts a new element while `a - b` and `a-b` subtract. */
  private startsNewElement(): boolean {
    return this.inMatrix > 0 && this.tok.space && !this.peek().space;
  }

  private additive(): Value {
    let left = this.multiplicative();
    while ((this.isOp("+") || this.isOp("-")) && !this.startsNewElement()) {
      const op = this.tokens[this.pos++];
      const right = this.multiplicative();
      left = this.elementwise(left, right, op, op.text === "+" ? (x, y) => x + y : (x, y) => x - y);
    }
    return left;
  }

  private multiplicative(): Value {
    let left = this.unary();
    for (;;) {
      const op = this.tok;
      if (this.isOp(".*")) {
        this.pos++;
        left = this.elementwise(left, this.unary(), op, (x, y) => x * y);
      } else if (this.isOp("./")) {
        this.pos++;
        left = this.elementwise(left, this.unary(), op, (x, y) => x / y);
      } else if (this.isOp("*")) {
        this.pos++;
        left = this.matrixProduct(left, this.unary(), op);
      } else if (this.isOp("/")) {
        this.pos++;
        const right = this.unary();
        if (right.kind === "matrix" && right.rows * right.cols !== 1)
          this.fail("matrix right division is not supported", op);
        left = this.elementwise(left, right, op, (x, y) => x / y);
      } else if (this.isOp("\\")) {
        this.fail("matrix left division is not supported", op);
      } else {
        return left;
      }
    }
  }

  private unary(): Value {
    if (this.isOp("-") || this.isOp("+")) {
      const op = this.tokens[this.pos++];
      const v = this.unary();
      return op.text === "-" ? this.map(v, op, (x) => -x) : v;
    }
    if (this.isOp("~") || this.isOp("!")) this.fail("logical operators are not supported");
    return this.power();
  }

  private power(): Value {
    let base = this.postfix();
    while (this.isOp("^") || this.isOp(".^")) {
      const op = this.tokens[this.pos++];
      // MATLAB allows a signed exponent: 2^-1.
      const exponent = this.isOp("-") || this.isOp("+") ? this.unary() : this.postfix();
      if (
        op.text === "^" &&
        ((base.kind === "matrix" && base.rows * base.cols !== 1) ||
          (exponent.kind === "matrix" && exponent.rows * exponent.cols !== 1))
      ) {
        this.fail("matrix power is not supported", op);
      }
      base = this.elementwise(base, exponent, op, (x, y) => Math.pow(x, y));
    }
    return base;
  }

  private postfix(): Value {
    let v = this.primary();
    while ((this.isOp("'") || this.isOp(".'")) && !(this.inMatrix > 0 && this.tok.space)) {
      const op = this.tokens[this.pos++];
      if (v.kind !== "matrix") this.fail("only numeric matrices can be transposed", op);
      const t = matrix(v.cols, v.rows, new Array<number>(v.rows * v.cols));
      for (let r = 0; r < v.rows; r++) for (let c = 0; c < v.cols; c++) t.data[c * v.rows + r] = v.data[r * v.cols + c];
      v = t;
    }
    return v;
  }

  private primary(): Value {
    const t = this.tok;
    if (t.kind === "num") {
      this.pos++;
      return scalar(t.num);
    }
    if (t.kind === "mat") {
      this.pos++;
      this.literalTarget = undefined;
      // Each token is evaluated once and values are never changed in place: no copy needed.
      return t.matrix as MatrixValue;
    }
    if (t.kind === "str") {
      this.pos++;
      return { kind: "string", value: t.text };
    }
    if (this.isOp("(")) {
      this.pos++;
      const saved = this.inMatrix;
      this.inMatrix = 0;
      const v = this.expression();
      this.inMatrix = saved;
      this.expectOp(")");
      return v;
    }
    if (this.isOp("[")) return this.matrixLiteral();
    if (this.isOp("{")) return this.cellLiteral();
    if (t.kind === "id") return this.nameReference();
    return this.fail(`unexpected ${this.describe(t)} in an expression`);
  }

  private nameReference(): Value {
    const t = this.tok;
    this.pos++;
    switch (t.text) {
      case "Inf":
      case "inf":
        return scalar(Infinity);
      case "NaN":
      case "nan":
        return scalar(NaN);
      case "pi":
        return scalar(Math.PI);
      case "eps":
        return scalar(Number.EPSILON);
      case "end": {
        const ctx = this.endContext;
        if (!ctx) this.fail("'end' used outside an index", t);
        const { target, position, count } = ctx;
        return scalar(count === 1 ? target.rows * target.cols : position === 0 ? target.rows : target.cols);
      }
    }
    if (!this.variables.has(t.text)) {
      if (BUILTINS.has(t.text)) return this.builtin(t);
      if (MATPOWER_INDEX_FUNCTIONS[t.text] || this.isOp("(")) this.fail(`unsupported function '${t.text}'`, t);
      this.fail(`undefined name '${t.text}'`, t);
    }
    const path = [t.text];
    while (this.isOp(".") && this.peek().kind === "id" && !this.tok.space) {
      this.pos++;
      path.push(this.tok.text);
      this.pos++;
    }
    const v = this.lookupPath(path, t, false) as Value;
    if (this.isOp("(") && !(this.inMatrix > 0 && this.tok.space)) {
      if (v.kind !== "matrix") this.fail(`'${path.join(".")}' cannot be indexed`, t);
      return this.readIndexed(v, this.indexArguments(v), t);
    }
    return v;
  }

  private builtin(t: Token): Value {
    const name = t.text;
    this.expectOp("(");
    const saved = this.inMatrix;
    this.inMatrix = 0;
    const args: MatrixValue[] = [];
    while (!this.isOp(")")) {
      if (args.length > 0) this.expectOp(",");
      const v = this.expression();
      if (v.kind !== "matrix") this.fail(`${name} takes numeric arguments`, t);
      args.push(v);
    }
    this.pos++;
    this.inMatrix = saved;
    const dims = (): [number, number] => {
      const d = args.map((a) => this.toScalar(a, t));
      if (d.length === 1) return [d[0], d[0]];
      if (d.length === 2) return [d[0], d[1]];
      return this.fail(`${name} takes one or two sizes`, t);
    };
    switch (name) {
      case "size": {
        if (args.length === 1) return matrix(1, 2, [args[0].rows, args[0].cols]);
        const dim = this.toScalar(args[1], t);
        return scalar(dim === 1 ? args[0].rows : dim === 2 ? args[0].cols : 1);
      }
      case "ones":
      case "zeros": {
        const [r, c] = dims();
        return matrix(r, c, new Array<number>(r * c).fill(name === "ones" ? 1 : 0));
      }
      case "abs":
        return this.map(args[0], t, Math.abs);
      case "sqrt":
        return this.map(args[0], t, Math.sqrt);
    }
    return this.fail(`unsupported function '${name}'`, t);
  }

  private matrixLiteral(): MatrixValue {
    const name = this.literalTarget;
    this.literalTarget = undefined;
    const open = this.expectOp("[");
    this.inMatrix++;
    const rows: MatrixValue[][] = [[]];
    /** First token of each row, to report a bad row at its own line. */
    const rowStarts: Token[] = [];
    for (;;) {
      const t = this.tok;
      if (this.isOp("]")) {
        this.pos++;
        break;
      }
      if (t.kind === "eof") this.fail(`unterminated matrix opened at line ${open.line}`);
      if (t.kind === "nl" || this.isOp(";")) {
        this.pos++;
        if (rows[rows.length - 1].length > 0) rows.push([]);
        continue;
      }
      if (this.isOp(",")) {
        this.pos++;
        continue;
      }
      if (rows[rows.length - 1].length === 0) rowStarts.push(t);
      const v = this.expression();
      if (v.kind !== "matrix")
        this.fail(`non-numeric cell ${v.kind === "string" ? `'${v.value}'` : `(a ${v.kind})`} in a matrix`, t);
      rows[rows.length - 1].push(v);
    }
    this.inMatrix--;
    if (rows[rows.length - 1].length === 0) rows.pop();
    return this.concatenate(rows, rowStarts, name ?? "matrix");
  }

  private concatenate(rows: MatrixValue[][], rowStarts: Token[], name: string): MatrixValue {
    const blocks = rows.map((row, k) => {
      // Empty blocks ([]) take no part in concatenation: [[] 1 2] is [1 2].
      const parts = row.filter((b) => b.rows * b.cols > 0);
      const height = parts.length > 0 ? parts[0].rows : 0;
      let width = 0;
      for (const b of parts) {
        if (b.rows !== height) this.fail("horizontal concatenation of blocks with different heights", rowStarts[k]);
        width += b.cols;
      }
      const data = new Array<number>(height * width);
      let offset = 0;
      for (const b of parts) {
        for (let r = 0; r < b.rows; r++)
          for (let c = 0; c < b.cols; c++) data[r * width + offset + c] = b.data[r * b.cols + c];
        offset += b.cols;
      }
      return matrix(height, width, data);
    });
    const nonEmpty = blocks.map((b, k) => ({ b, start: rowStarts[k] })).filter(({ b }) => b.rows * b.cols > 0);
    if (nonEmpty.length === 0) return matrix(0, 0, []);
    const width = nonEmpty[0].b.cols;
    let rowCount = 0;
    const data: number[] = [];
    for (const { b, start } of nonEmpty) {
      if (b.cols !== width) {
        this.fail(`${name} row ${rowCount + 1} has ${b.cols} columns but the rows above have ${width}`, start);
      }
      rowCount += b.rows;
      for (const x of b.data) data.push(x);
    }
    return matrix(rowCount, width, data);
  }

  private cellLiteral(): CellValue {
    const open = this.expectOp("{");
    this.inMatrix++;
    const items: Value[] = [];
    for (;;) {
      const t = this.tok;
      if (this.isOp("}")) {
        this.pos++;
        break;
      }
      if (t.kind === "eof") this.fail(`unterminated cell array opened at line ${open.line}`);
      if (t.kind === "nl" || this.isOp(";") || this.isOp(",")) {
        this.pos++;
        continue;
      }
      items.push(this.expression());
    }
    this.inMatrix--;
    return { kind: "cell", items };
  }

  // ---- arithmetic --------------------------------------------------------------------------

  private toScalar(v: Value, at: Token): number {
    if (v.kind !== "matrix" || v.rows * v.cols !== 1) this.fail("expected a scalar", at);
    return v.data[0];
  }

  private map(v: Value, at: Token, f: (x: number) => number): MatrixValue {
    if (v.kind !== "matrix") this.fail("arithmetic on a non-numeric value", at);
    return matrix(v.rows, v.cols, v.data.map(f));
  }

  private elementwise(a: Value, b: Value, at: Token, f: (x: number, y: number) => number): MatrixValue {
    if (a.kind !== "matrix" || b.kind !== "matrix") this.fail("arithmetic on a non-numeric value", at);
    if (b.rows * b.cols === 1) {
      const y = b.data[0];
      return matrix(
        a.rows,
        a.cols,
        a.data.map((x) => f(x, y)),
      );
    }
    if (a.rows * a.cols === 1) {
      const x = a.data[0];
      return matrix(
        b.rows,
        b.cols,
        b.data.map((y) => f(x, y)),
      );
    }
    if (a.rows !== b.rows || a.cols !== b.cols) {
      this.fail(`operands of '${at.text}' have sizes ${a.rows}x${a.cols} and ${b.rows}x${b.cols}`, at);
    }
    return matrix(
      a.rows,
      a.cols,
      a.data.map((x, k) => f(x, b.data[k])),
    );
  }

  private matrixProduct(a: Value, b: Value, at: Token): MatrixValue {
    if (a.kind !== "matrix" || b.kind !== "matrix") this.fail("arithmetic on a non-numeric value", at);
    if (a.rows * a.cols === 1 || b.rows * b.cols === 1) return this.elementwise(a, b, at, (x, y) => x * y);
    if (a.cols !== b.rows) this.fail(`inner dimensions ${a.cols} and ${b.rows} do not agree for '*'`, at);
    const out = matrix(a.rows, b.cols, new Array<number>(a.rows * b.cols).fill(0));
    for (let i = 0; i < a.rows; i++)
      for (let k = 0; k < a.cols; k++)
        for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += a.data[i * a.cols + k] * b.data[k * b.cols + j];
    return out;
  }
}

/**
 * The matrix literal whose `[` is at `open` in `source` if the fast scanner reads it (a plain
 * block of numbers), else undefined (the interpreter then parses it token by token).
 */
export function readNumericLiteral(source: string, open: number): MatrixValue | undefined {
  const scanner = new NumericLiteralScanner(source);
  return scanner.scan(open) ? matrix(scanner.rows, scanner.cols, scanner.values()) : undefined;
}

/** Runs a MATLAB-subset program (a MATPOWER case file) and returns its variables. */
export function runMatlabProgram(source: string, file: string, options: MatlabOptions = {}): MatlabProgramResult {
  const interpreter = new Interpreter(tokenize(source, file, options.fastLiterals ?? true), file);
  interpreter.run();
  return {
    functionName: interpreter.functionName,
    outputName: interpreter.outputName,
    variables: interpreter.variables,
  };
}

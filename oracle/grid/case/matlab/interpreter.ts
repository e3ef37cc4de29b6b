/**
 * The interpreter of the MATLAB subset: a recursive-descent parser over the tokens (tokens.ts)
 * that evaluates as it parses — statements (assignments, `[A, B] = idx_bus;`, the function
 * header, `return`) and expressions with MATLAB's precedence and its whitespace rules inside
 * brackets. What values do is in operations.ts; every error is a CaseFormatError at the file and
 * line of the token it concerns.
 */
import { CaseFormatError } from "../../errors";
import { MATPOWER_INDEX_FUNCTIONS } from "../columns";
import {
  assignIndexed,
  BUILTINS,
  callBuiltin,
  concatenate,
  elementwise,
  map,
  matrixProduct,
  range,
  readIndexed,
  toScalar,
  transpose,
  type Fail,
  type IndexArg,
} from "./operations";
import type { Token } from "./tokens";
import { matrix, scalar, type CellValue, type MatrixValue, type Value } from "./values";

/** What `end` means inside the index list being parsed. */
interface EndContext {
  target: MatrixValue;
  position: number;
  count: number;
}

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

export class Interpreter {
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
  /** `fail` placed at `token`, for the value operations. */
  private failAt(token: Token): Fail {
    return (message) => this.fail(message, token);
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
      this.assignPath(path, assignIndexed(target, index, value, this.failAt(nameTok)), nameTok);
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
      step = toScalar(second, this.failAt(startTok));
      stop = this.additive();
    }
    const fail = this.failAt(startTok);
    return range(toScalar(first, fail), step, toScalar(stop, fail), fail);
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
      left = elementwise(left, right, op.text, op.text === "+" ? (x, y) => x + y : (x, y) => x - y, this.failAt(op));
    }
    return left;
  }

  private multiplicative(): Value {
    let left = this.unary();
    for (;;) {
      const op = this.tok;
      if (this.isOp(".*")) {
        this.pos++;
        left = elementwise(left, this.unary(), op.text, (x, y) => x * y, this.failAt(op));
      } else if (this.isOp("./")) {
        this.pos++;
        left = elementwise(left, this.unary(), op.text, (x, y) => x / y, this.failAt(op));
      } else if (this.isOp("*")) {
        this.pos++;
        left = matrixProduct(left, this.unary(), this.failAt(op));
      } else if (this.isOp("/")) {
        this.pos++;
        const right = this.unary();
        if (right.kind === "matrix" && right.rows * right.cols !== 1)
          this.fail("matrix right division is not supported", op);
        left = elementwise(left, right, op.text, (x, y) => x / y, this.failAt(op));
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
      return op.text === "-" ? map(v, (x) => -x, this.failAt(op)) : v;
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
      base = elementwise(base, exponent, op.text, (x, y) => Math.pow(x, y), this.failAt(op));
    }
    return base;
  }

  private postfix(): Value {
    let v = this.primary();
    while ((this.isOp("'") || this.isOp(".'")) && !(this.inMatrix > 0 && this.tok.space)) {
      const op = this.tokens[this.pos++];
      v = transpose(v, this.failAt(op));
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
      return readIndexed(v, this.indexArguments(v), this.failAt(t));
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
    return callBuiltin(name, args, this.failAt(t));
  }

  private matrixLiteral(): MatrixValue {
    const name = this.literalTarget;
    this.literalTarget = undefined;
    const rows: MatrixValue[][] = [[]];
    /** First token of each row, to report a bad row at its own line. */
    const rowStarts: Token[] = [];
    this.bracketed("]", "matrix", {
      rowEnd: () => {
        if (rows[rows.length - 1].length > 0) rows.push([]);
      },
      element: (t) => {
        if (rows[rows.length - 1].length === 0) rowStarts.push(t);
        const v = this.expression();
        if (v.kind !== "matrix")
          this.fail(`non-numeric cell ${v.kind === "string" ? `'${v.value}'` : `(a ${v.kind})`} in a matrix`, t);
        rows[rows.length - 1].push(v);
      },
    });
    if (rows[rows.length - 1].length === 0) rows.pop();
    return concatenate(rows, name ?? "matrix", (k, message) => this.fail(message, rowStarts[k]));
  }

  private cellLiteral(): CellValue {
    const items: Value[] = [];
    this.bracketed("}", "cell array", { rowEnd: () => undefined, element: () => items.push(this.expression()) });
    return { kind: "cell", items };
  }

  /**
   * Parses the elements of `[ ]` or `{ }` from the opening bracket to `close`: `element` at the
   * first token of each, `rowEnd` at each `;` or newline; commas separate.
   */
  private bracketed(
    close: "]" | "}",
    what: string,
    on: { readonly rowEnd: () => void; readonly element: (first: Token) => void },
  ): void {
    const open = this.expectOp(close === "]" ? "[" : "{");
    this.inMatrix++;
    for (;;) {
      const t = this.tok;
      if (this.isOp(close)) {
        this.pos++;
        break;
      }
      if (t.kind === "eof") this.fail(`unterminated ${what} opened at line ${open.line}`);
      if (t.kind === "nl" || this.isOp(";")) {
        this.pos++;
        on.rowEnd();
      } else if (this.isOp(",")) {
        this.pos++;
      } else {
        on.element(t);
      }
    }
    this.inMatrix--;
  }
}

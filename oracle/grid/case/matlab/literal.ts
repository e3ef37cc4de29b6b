/**
 * The fast path for the data of a case file: a matrix literal that is nothing but numbers
 * (decimal literals with an optional sign glued to them, Inf, NaN) separated by blanks and commas,
 * rows ended by semicolons or newlines, with % comments and ... continuations — which is how case
 * files write all their data — read in one pass over the characters, straight into a typed buffer,
 * with no token or 1×1 matrix per number (about twenty times faster on the PEGASE cases).
 *
 * It takes a literal only when the interpreter would read exactly the same numbers; anything else
 * (an operator, a name, a blank after a sign, rows of unequal length, a block comment, no closing
 * bracket...) makes `scan` return false and the literal is left to the interpreter, which then
 * computes it or reports the error at its file and line.
 */
import { isIdentPart, isIdentStart, NumberReader } from "./numbers";
import { matrix, type MatrixValue } from "./values";

export class NumericLiteralScanner {
  /** Shape and end (index after `]`) of the last accepted literal, and the newlines it spans. */
  rows = 0;
  cols = 0;
  end = 0;
  newlines = 0;
  private buffer = new Float64Array(1024);
  private count = 0;
  private readonly numbers = new NumberReader();

  constructor(private readonly src: string) {}

  /** The last accepted literal. */
  matrix(): MatrixValue {
    const out = new Array<number>(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.buffer[k];
    return matrix(this.rows, this.cols, out);
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
      this.push(sign * this.numbers.value);
      rowLength++;
      i = stop;
    }
    return false; // no closing bracket
  }

  /** Reads an unsigned number, Inf or NaN at `i` into `numbers.value`; returns the index after it, or -1. */
  private element(i: number): number {
    const src = this.src;
    if (!isIdentStart(src.charCodeAt(i))) return this.numbers.read(src, i);
    let j = i + 1;
    while (j < src.length && isIdentPart(src.charCodeAt(j))) j++;
    const name = src.slice(i, j);
    if (name === "Inf" || name === "inf") this.numbers.value = Infinity;
    else if (name === "NaN" || name === "nan") this.numbers.value = NaN;
    else return -1;
    return j;
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

/**
 * The matrix literal whose `[` is at `open` in `source` if it is a plain block of numbers the
 * scanner reads, else undefined (the interpreter then parses it token by token).
 */
export function scanNumericLiteral(source: string, open: number): MatrixValue | undefined {
  const scanner = new NumericLiteralScanner(source);
  return scanner.scan(open) ? scanner.matrix() : undefined;
}

/**
 * The lexical grammar of names and numbers, shared by the tokenizer and the literal scanner so
 * the two read every number the same way.
 *
 * A number is digits with an optional fraction (a `.` followed by an operator character belongs
 * to the operator: `1./x` is 1 ./ x, `1.'` is 1 transposed) or a leading `.`, then an optional
 * exponent (`e`/`E`, an optional sign and at least one digit; `1e` is 1 followed by the name e).
 */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
export function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
export function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

/** True when a number starts at `i`: a digit, or a `.` followed by a digit. */
export function startsNumber(src: string, i: number): boolean {
  const c = src.charCodeAt(i);
  return isDigit(c) || (c === 46 && i + 1 < src.length && isDigit(src.charCodeAt(i + 1)));
}

/** Exact powers of ten: every 10^k with k ≤ 22 is a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Reads unsigned numbers without allocating: `read` returns where the number ends, `value` holds it. */
export class NumberReader {
  value = 0;
  /** The digits read so far, as an integer (exact while `digits` ≤ 15), and how many. */
  private mantissa = 0;
  private digits = 0;

  /** Reads the number at `i` (see the file header); returns the index after it, or -1 if none starts there. */
  read(src: string, i: number): number {
    const start = i;
    this.mantissa = 0;
    this.digits = 0;
    let fractionDigits = 0;
    if (isDigit(src.charCodeAt(i))) {
      i = this.readDigits(src, i);
      // `1./x` and `1.'`: a dot before an operator character starts the operator.
      if (src.charCodeAt(i) === 46 && !DOT_OPERATOR_NEXT.has(src.charCodeAt(i + 1))) {
        const before = this.digits;
        i = this.readDigits(src, i + 1);
        fractionDigits = this.digits - before;
      }
    } else if (startsNumber(src, i)) {
      i = this.readDigits(src, i + 1);
      fractionDigits = this.digits;
    } else {
      return -1;
    }
    let exponent = 0;
    const c = src.charCodeAt(i);
    if (c === 101 || c === 69 /* e E */) {
      let j = i + 1;
      const sign = src.charCodeAt(j);
      if (sign === 43 || sign === 45) j++;
      if (isDigit(src.charCodeAt(j))) {
        for (; isDigit(src.charCodeAt(j)); j++)
          if (exponent < 100000) exponent = exponent * 10 + (src.charCodeAt(j) - 48);
        if (sign === 45) exponent = -exponent;
        i = j;
      }
    }
    // Clinger's fast path: an integer mantissa below 2^53 times or divided by an exact power of
    // ten is one correctly rounded operation, so it equals Number(text). Otherwise Number does it.
    const scale = exponent - fractionDigits;
    if (this.digits <= 15 && scale >= -22 && scale <= 22) {
      this.value = scale >= 0 ? this.mantissa * POWERS_OF_TEN[scale] : this.mantissa / POWERS_OF_TEN[-scale];
    } else {
      this.value = Number(src.slice(start, i));
    }
    return i;
  }

  /** Adds the decimal digits from `i` on to the mantissa; returns the index after them. */
  private readDigits(src: string, i: number): number {
    for (let c = src.charCodeAt(i); isDigit(c); c = src.charCodeAt(++i)) {
      this.mantissa = this.mantissa * 10 + (c - 48);
      this.digits++;
    }
    return i;
  }
}

/** Characters that make a preceding `.` part of an operator: `.*`, `./`, `.\`, `.^`, `.'`. */
const DOT_OPERATOR_NEXT = new Set([42, 47, 92, 94, 39]);

// Stands in for bignumber.js inside kinesalite (see kinesalite-bigint.cjs for why): the part of its
// API kinesalite calls, on native BigInt. Every value kinesalite builds on its hot path is an integer
// (MD5 hash keys, shard hash ranges, 47-hex-digit sequence numbers), so integers are BigInts here.
// Anything else — a fraction, NaN, an exponent or 0x form that kinesalite's loose input patterns let
// through, a division that is not exact — is handed to the real bignumber.js, kinesalite's own
// dependency, so each answer, error or not, stays what bignumber.js gives.
'use strict';

const { dirname } = require('node:path');

const RealBigNumber = require(require.resolve('bignumber.js', { paths: [dirname(require.resolve('kinesalite/package.json'))] }));

/** A decimal integer as bignumber.js reads it exactly; minus zero is left to bignumber.js, which keeps its sign. */
const DECIMAL_INTEGER = /^(?:\d+|-0*[1-9]\d*)$/;
/** Hex digits all of one case, as bignumber.js accepts them in base 16 (mixed case is NaN there). */
const HEX_INTEGER = /^(?:[\da-f]+|[\dA-F]+)$/;
/** Above this an exponent goes to bignumber.js, which turns huge results into Infinity rather than run out of memory. */
const MAX_FAST_EXPONENT = 4096;

/** The BigInt for a value bignumber.js would read as an exact integer, or undefined when only bignumber.js can say. */
function toBigInt(value) {
  if (value instanceof BigIntNumber) return value.int;
  if (typeof value === 'string') return DECIMAL_INTEGER.test(value) ? BigInt(value) : undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) && !Object.is(value, -0) ? BigInt(value) : undefined;
  // bignumber.js reads a bigint through its digits, so it is the same integer there.
  if (typeof value === 'bigint') return value;
  return undefined;
}

/** What to hand bignumber.js for an argument: its own form for ours, anything else as given. */
function toReal(value) {
  return value instanceof BigIntNumber ? value.real() : value;
}

function isRoundingMode(rm) {
  return Number.isInteger(rm) && rm >= 0 && rm <= 8;
}

class BigIntNumber {
  /**
   * @param {unknown} value a number, a string, a bigint, a bignumber.js value or one of these
   * @param {number} [base] 16 is the only base read here; others go to bignumber.js
   */
  constructor(value, base) {
    /** @type {bigint | undefined} the value, when it is an integer */
    this.int = undefined;
    /** @type {object | undefined} bignumber.js's value, for everything else */
    this.slow = undefined;
    if (base === undefined) {
      this.int = toBigInt(value);
    } else if (base === 16 && typeof value === 'string' && HEX_INTEGER.test(value)) {
      this.int = BigInt(`0x${value}`);
    }
    if (this.int !== undefined) return;
    const real = new RealBigNumber(toReal(value), base);
    if (real.isInteger() && !(real.isZero() && real.isNegative())) this.int = BigInt(real.toFixed());
    else this.slow = real;
  }

  /** bignumber.js's own value, to hand it an operation this file does not do. */
  real() {
    return this.slow ?? new RealBigNumber(this.int.toString());
  }

  pow(n, m) {
    if (this.int !== undefined && m === undefined && Number.isInteger(n) && n >= 0 && n <= MAX_FAST_EXPONENT) return new BigIntNumber(this.int ** BigInt(n));
    return new BigIntNumber(this.real().pow(toReal(n), m));
  }

  times(y, b) {
    const other = b === undefined ? toBigInt(y) : undefined;
    if (this.int !== undefined && other !== undefined) return new BigIntNumber(this.int * other);
    return new BigIntNumber(this.real().times(toReal(y), b));
  }

  div(y, b) {
    const other = b === undefined ? toBigInt(y) : undefined;
    // Only an exact quotient stays here: bignumber.js rounds the others to its DECIMAL_PLACES.
    if (this.int !== undefined && other !== undefined && other !== 0n && this.int % other === 0n) return new BigIntNumber(this.int / other);
    return new BigIntNumber(this.real().div(toReal(y), b));
  }

  plus(y, b) {
    const other = b === undefined ? toBigInt(y) : undefined;
    if (this.int !== undefined && other !== undefined) return new BigIntNumber(this.int + other);
    return new BigIntNumber(this.real().plus(toReal(y), b));
  }

  minus(y, b) {
    const other = b === undefined ? toBigInt(y) : undefined;
    // 5 - 5 is plus zero in bignumber.js too, so a BigInt 0n loses no sign.
    if (this.int !== undefined && other !== undefined) return new BigIntNumber(this.int - other);
    return new BigIntNumber(this.real().minus(toReal(y), b));
  }

  integerValue(rm) {
    if (this.int !== undefined && (rm === undefined || isRoundingMode(rm))) return this;
    return new BigIntNumber(this.real().integerValue(rm));
  }

  /** 1, -1 or 0; null when either side is NaN, as bignumber.js answers. */
  comparedTo(y, b) {
    const other = b === undefined ? toBigInt(y) : undefined;
    if (this.int !== undefined && other !== undefined) return this.int > other ? 1 : this.int < other ? -1 : 0;
    return this.real().comparedTo(toReal(y), b);
  }

  eq(y, b) {
    const order = this.comparedTo(y, b);
    return order === 0;
  }

  lt(y, b) {
    const order = this.comparedTo(y, b);
    return order !== null && order < 0;
  }

  lte(y, b) {
    const order = this.comparedTo(y, b);
    return order !== null && order <= 0;
  }

  gt(y, b) {
    const order = this.comparedTo(y, b);
    return order !== null && order > 0;
  }

  gte(y, b) {
    const order = this.comparedTo(y, b);
    return order !== null && order >= 0;
  }

  /** Digits in a base from 2 to 36; without a base, bignumber.js's own form (it turns to exponents past 20 digits). */
  toString(base) {
    if (this.int !== undefined && Number.isInteger(base) && base >= 2 && base <= 36) return this.int.toString(base);
    return this.real().toString(base);
  }

  toFixed(dp, rm) {
    if (this.int !== undefined && dp === undefined) return this.int.toString();
    return this.real().toFixed(dp, rm);
  }

  valueOf() {
    return this.real().valueOf();
  }

  toJSON() {
    return this.real().toJSON();
  }
}

BigIntNumber.ROUND_FLOOR = RealBigNumber.ROUND_FLOOR;

module.exports = BigIntNumber;

import { ValidationError } from './errors.js';

/**
 * Active ISO 4217 codes and their minor-unit exponents (the list as of 2026). Codes without minor
 * units (precious metals, XDR, testing codes) and withdrawn ones (HRK, SLL, ZWL, ANG, BGN after
 * Bulgaria's 2026 euro changeover) are left out on purpose: a bank transaction in them is wrong.
 */
const EXPONENT_ZERO = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_THREE = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_FOUR = 'CLF UYW';
const EXPONENT_TWO =
  'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD ' +
  'CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS ' +
  'GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD ' +
  'LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB ' +
  'PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP ' +
  'SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG';

function table(): ReadonlyMap<string, number> {
  const map = new Map<string, number>();
  const add = (codes: string, exponent: number): void => {
    for (const code of codes.split(' ')) map.set(code, exponent);
  };
  add(EXPONENT_TWO, 2);
  add(EXPONENT_ZERO, 0);
  add(EXPONENT_THREE, 3);
  add(EXPONENT_FOUR, 4);
  return map;
}

/** Minor-unit exponent per active ISO 4217 code. */
export const CURRENCY_EXPONENTS: ReadonlyMap<string, number> = table();

export function isActiveCurrency(code: string): boolean {
  return CURRENCY_EXPONENTS.has(code);
}

export function currencyExponent(code: string): number {
  const exponent = CURRENCY_EXPONENTS.get(code);
  if (exponent === undefined) {
    throw new ValidationError('unknown-currency', `'${code}' is not an active ISO 4217 currency code`, 'amount.currency');
  }
  return exponent;
}

/** Money as the system carries it: integer minor units plus an ISO 4217 code, never a float. */
export interface Money {
  readonly minor: number;
  readonly currency: string;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a broker decimal string (`-12.50`) into integer minor units. Rejects floats in disguise:
 * exponents, a plus sign, more fraction digits than the currency has, or values beyond 2^53.
 */
export function parseDecimalToMinor(value: string, currency: string): Money {
  const exponent = currencyExponent(currency);
  const match = DECIMAL.exec(value);
  if (!match) {
    throw new ValidationError('bad-amount', `amount.value '${value}' is not a decimal string like -12.50`, 'amount.value');
  }
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > exponent) {
    throw new ValidationError(
      'bad-amount',
      `amount.value '${value}' has ${fraction.length} fraction digits; ${currency} has ${exponent}`,
      'amount.value',
    );
  }
  const digits = BigInt(whole + fraction.padEnd(exponent, '0'));
  const minor = sign === '-' ? -digits : digits;
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ValidationError('bad-amount', `amount.value '${value}' is too large to carry exactly`, 'amount.value');
  }
  // Normalise -0 to 0 so equal amounts compare and hash equal.
  return { minor: Number(minor) + 0, currency };
}

/** Formats minor units back into the broker's decimal notation (`-1250`, EUR → `-12.50`). */
export function formatMinor(money: Money): string {
  const exponent = currencyExponent(money.currency);
  const negative = money.minor < 0;
  const digits = Math.abs(money.minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

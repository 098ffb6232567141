import { currencyExponent, isActiveCurrency } from '../../shared/money.js';
import type { Money } from '../../shared/money.js';

/**
 * Approximate units of each currency per euro. Features only need the scale of an amount (is
 * this a coffee or a car?), so fixed rates serve and keep featurisation pure and reproducible.
 * They are part of the feature schema: changing one changes its hash, and the models must be
 * rebuilt. The synthetic generator prices goods with the same table.
 */
export const UNITS_PER_EUR: Readonly<Record<string, number>> = {
  EUR: 1,
  GBP: 0.85,
  SEK: 11.3,
  NOK: 11.6,
  DKK: 7.46,
  PLN: 4.3,
  CHF: 0.95,
  CZK: 25,
  HUF: 395,
  RON: 4.97,
  USD: 1.08,
  CAD: 1.48,
  AUD: 1.65,
  NZD: 1.8,
  THB: 38,
  JPY: 162,
  CNY: 7.8,
  INR: 90,
  TRY: 36,
  MAD: 10.8,
  AED: 3.97,
  MXN: 19.5,
  BRL: 5.9,
  SGD: 1.45,
  IDR: 17300,
  ZAR: 19.8,
};

/** The amount's size in euros (always positive) and whether its currency has a known rate. */
export function absoluteEuros(amount: Money): { readonly euros: number; readonly known: boolean } {
  const rate = UNITS_PER_EUR[amount.currency];
  const exponent = isActiveCurrency(amount.currency) ? currencyExponent(amount.currency) : 2;
  const major = Math.abs(amount.minor) / 10 ** exponent;
  return { euros: major / (rate ?? 1), known: rate !== undefined };
}

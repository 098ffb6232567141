import { SURNAMES, WORDS } from './catalogue.js';
import type { Random } from './random.js';

const DIGITS = '0123456789';
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPRSTVWZ';

/** Fills a name pattern's `{TOKENS}`; each token is drawn afresh, so call once per instance. */
export function fillPattern(pattern: string, random: Random, city: string): string {
  return pattern.replace(/\{([A-Z0-9]+)\}/g, (_match, token: string) => {
    switch (token) {
      case 'CITY':
        return city;
      case 'NO3':
        return random.string(3, DIGITS);
      case 'NO4':
        return random.string(4, DIGITS);
      case 'REF':
        return random.string(random.int(6, 10), ALNUM);
      case 'WORD':
        return random.pick(WORDS);
      case 'SURNAME':
        return random.pick(SURNAMES);
      case 'INITIAL':
        return random.string(1, LETTERS);
      default:
        return token;
    }
  });
}

const SYLLABLES = ['KA', 'VO', 'RI', 'ZEN', 'TA', 'MI', 'LOR', 'QUA', 'NEX', 'DRA', 'SU', 'PEL', 'GRO', 'VIK', 'OMA', 'TUR', 'BEX', 'YA'];

/** A made-up brand no training line has seen (for the "new merchant abroad" anomaly). */
export function inventBrand(random: Random): string {
  let brand = '';
  const parts = random.int(2, 3);
  for (let i = 0; i < parts; i += 1) brand += random.pick(SYLLABLES);
  return brand;
}

/** `J. DE VRIES`, `M MUELLER`: how a person appears as the counterparty of a transfer. */
export function personName(random: Random): string {
  const initial = random.string(1, LETTERS);
  return `${initial}${random.chance(0.6) ? '.' : ''} ${random.pick(SURNAMES)}`;
}

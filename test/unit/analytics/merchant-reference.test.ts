import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAILY_MERCHANTS, EMPLOYERS, LANDLORDS, MORTGAGE_LENDERS, RECURRING_MERCHANTS, RISKY_MCCS, TRAVEL_MERCHANTS } from '../../../models/synthetic/catalogue.js';
import { COUNTRIES } from '../../../models/synthetic/geography.js';
import { fillPattern } from '../../../models/synthetic/names.js';
import { Random } from '../../../models/synthetic/random.js';
import { merchantMatchName, normaliseMerchantName } from '../../../workers/batch/merchant-name.js';
import { DEFAULT_REFERENCE_DIR } from '../../../workers/batch/reference-data.js';

/** A CSV's rows as objects (the reference files quote only fields with commas). */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(DEFAULT_REFERENCE_DIR, file), 'utf8').trim().split('\n');
  const columns = (header ?? '').split(',');
  return lines.map((line) => {
    const fields = [...line.matchAll(/("([^"]|"")*"|[^,]*)(,|$)/g)].map((m) => (m[1] ?? '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    return Object.fromEntries(columns.map((c, i) => [c, fields[i] ?? '']));
  });
}

const merchants = readCsv('merchants.csv');
const keys = merchants.map((m) => m['merchant_normalised'] as string);

/** The reference key a name matches: the longest whole-word prefix, as the batch job's SQL picks it. */
function match(name: string): string | undefined {
  const candidate = merchantMatchName(name);
  return keys.filter((k) => candidate === k || candidate.startsWith(`${k} `)).sort((a, b) => b.length - a.length)[0];
}

describe('Module: merchant-name', () => {
  describe('Function: normaliseMerchantName', () => {
    it('drops store numbers and references but keeps short names with a digit', () => {
      expect(normaliseMerchantName('ALBERT HEIJN 1234 AMSTERDAM')).to.equal('albert heijn amsterdam');
      expect(normaliseMerchantName('AMZN MKTP NL*2K4LQ91')).to.equal('amzn mktp nl');
      expect(normaliseMerchantName('UBER   *EATS')).to.equal('uber eats');
      expect(normaliseMerchantName('O2 GERMANY')).to.equal('o2 germany');
      expect(normaliseMerchantName('Café Crème 12')).to.equal('cafe creme');
    });
  });
});

describe('Reference data: workers/batch/reference', () => {
  it('covers every merchant name pattern of the synthetic generator', () => {
    // Prepare: every pattern filled in a few times (store numbers, references, cities vary).
    const random = new Random(7);
    const patterns = [
      ...[...DAILY_MERCHANTS, ...Object.values(RECURRING_MERCHANTS), ...Object.values(TRAVEL_MERCHANTS)].flatMap((t) => t.names),
      ...[EMPLOYERS, LANDLORDS, MORTGAGE_LENDERS].flatMap((byLanguage) => Object.values(byLanguage).flat()),
    ].filter((pattern) => !pattern.startsWith('{'));
    const cities = Object.values(COUNTRIES).flatMap((c) => c.cities);

    // Act
    const unmatched = patterns.flatMap((pattern) =>
      Array.from({ length: 3 }, (_, i) => fillPattern(pattern, random, cities[(i * 37) % cities.length] as string)).filter((name) => match(name) === undefined),
    );

    // Assess
    expect(unmatched).to.deep.equal([]);
  });

  it('describes every MCC the synthetic generator sends', () => {
    // Prepare
    const described = new Set(readCsv('mcc-codes.csv').map((r) => r['mcc']));
    const sent = new Set([
      ...[...DAILY_MERCHANTS, ...Object.values(RECURRING_MERCHANTS), ...Object.values(TRAVEL_MERCHANTS)].flatMap((t) => t.mccs).filter((m): m is string => m !== null),
      ...RISKY_MCCS.map(([mcc]) => mcc),
    ]);

    // Act
    const missing = [...sent].filter((mcc) => !described.has(mcc));

    // Assess
    expect(missing).to.deep.equal([]);
    for (const row of merchants) if (row['mcc'] !== '') expect(described.has(row['mcc']), row['merchant_normalised']).to.equal(true);
  });

  it("knows every city of the generator's countries", () => {
    // Prepare
    const known = new Map(readCsv('cities.csv').map((r) => [r['city'], r['country']]));

    // Act & Assess
    for (const country of Object.values(COUNTRIES)) {
      for (const city of country.cities) expect(known.get(normaliseMerchantName(city)), city).to.equal(country.code);
    }
  });

  it('has one row per key, lower-case keys already in their normalised form', () => {
    expect(new Set(keys).size).to.equal(keys.length);
    for (const key of keys) expect(merchantMatchName(key), key).to.equal(key);
  });
});

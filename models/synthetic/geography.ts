import type { Language, Zone } from './calendar.js';

/** A country the synthetic users live in or travel to. */
export interface Country {
  readonly code: string;
  readonly currency: string;
  readonly zone: Zone;
  readonly language: Language;
  readonly cities: readonly string[];
}

const CET: Zone = { kind: 'eu', standardMinutes: 60 };
const WET: Zone = { kind: 'eu', standardMinutes: 0 };
const EET: Zone = { kind: 'eu', standardMinutes: 120 };

export const COUNTRIES = {
  NL: { code: 'NL', currency: 'EUR', zone: CET, language: 'nl', cities: ['AMSTERDAM', 'ROTTERDAM', 'UTRECHT', 'DEN HAAG', 'EINDHOVEN', 'GRONINGEN', 'HAARLEM', 'LEIDEN', 'NIJMEGEN', 'ZWOLLE'] },
  DE: { code: 'DE', currency: 'EUR', zone: CET, language: 'de', cities: ['BERLIN', 'HAMBURG', 'MUENCHEN', 'KOELN', 'FRANKFURT', 'STUTTGART', 'DUESSELDORF', 'LEIPZIG', 'DRESDEN', 'BREMEN'] },
  BE: { code: 'BE', currency: 'EUR', zone: CET, language: 'nl', cities: ['BRUSSEL', 'ANTWERPEN', 'GENT', 'BRUGGE', 'LEUVEN', 'LIEGE'] },
  FR: { code: 'FR', currency: 'EUR', zone: CET, language: 'fr', cities: ['PARIS', 'LYON', 'MARSEILLE', 'TOULOUSE', 'NICE', 'NANTES', 'LILLE', 'BORDEAUX'] },
  ES: { code: 'ES', currency: 'EUR', zone: CET, language: 'en', cities: ['MADRID', 'BARCELONA', 'VALENCIA', 'SEVILLA', 'MALAGA', 'BILBAO'] },
  IT: { code: 'IT', currency: 'EUR', zone: CET, language: 'en', cities: ['ROMA', 'MILANO', 'NAPOLI', 'TORINO', 'FIRENZE', 'BOLOGNA'] },
  IE: { code: 'IE', currency: 'EUR', zone: WET, language: 'en', cities: ['DUBLIN', 'CORK', 'GALWAY', 'LIMERICK'] },
  PT: { code: 'PT', currency: 'EUR', zone: WET, language: 'en', cities: ['LISBOA', 'PORTO', 'FARO', 'COIMBRA'] },
  AT: { code: 'AT', currency: 'EUR', zone: CET, language: 'de', cities: ['WIEN', 'SALZBURG', 'INNSBRUCK', 'GRAZ'] },
  GR: { code: 'GR', currency: 'EUR', zone: EET, language: 'en', cities: ['ATHINA', 'THESSALONIKI', 'HERAKLION'] },
  GB: { code: 'GB', currency: 'GBP', zone: WET, language: 'en', cities: ['LONDON', 'MANCHESTER', 'BIRMINGHAM', 'LEEDS', 'GLASGOW', 'BRISTOL', 'EDINBURGH'] },
  SE: { code: 'SE', currency: 'SEK', zone: CET, language: 'en', cities: ['STOCKHOLM', 'GOTEBORG', 'MALMO', 'UPPSALA'] },
  PL: { code: 'PL', currency: 'PLN', zone: CET, language: 'en', cities: ['WARSZAWA', 'KRAKOW', 'WROCLAW', 'GDANSK', 'POZNAN'] },
  CH: { code: 'CH', currency: 'CHF', zone: CET, language: 'de', cities: ['ZUERICH', 'GENEVE', 'BASEL', 'BERN', 'LUZERN'] },
  DK: { code: 'DK', currency: 'DKK', zone: CET, language: 'en', cities: ['KOBENHAVN', 'AARHUS', 'ODENSE'] },
  CZ: { code: 'CZ', currency: 'CZK', zone: CET, language: 'en', cities: ['PRAHA', 'BRNO'] },
  HU: { code: 'HU', currency: 'HUF', zone: CET, language: 'en', cities: ['BUDAPEST', 'DEBRECEN'] },
  US: { code: 'US', currency: 'USD', zone: { kind: 'fixed', minutes: -300 }, language: 'en', cities: ['NEW YORK', 'BOSTON', 'CHICAGO', 'MIAMI', 'WASHINGTON'] },
  CA: { code: 'CA', currency: 'CAD', zone: { kind: 'fixed', minutes: -300 }, language: 'en', cities: ['TORONTO', 'MONTREAL', 'OTTAWA'] },
  TH: { code: 'TH', currency: 'THB', zone: { kind: 'fixed', minutes: 420 }, language: 'en', cities: ['BANGKOK', 'PHUKET', 'CHIANG MAI'] },
  JP: { code: 'JP', currency: 'JPY', zone: { kind: 'fixed', minutes: 540 }, language: 'en', cities: ['TOKYO', 'OSAKA', 'KYOTO'] },
  TR: { code: 'TR', currency: 'TRY', zone: { kind: 'fixed', minutes: 180 }, language: 'en', cities: ['ISTANBUL', 'ANTALYA', 'IZMIR'] },
  MA: { code: 'MA', currency: 'MAD', zone: { kind: 'fixed', minutes: 60 }, language: 'fr', cities: ['MARRAKECH', 'CASABLANCA', 'AGADIR'] },
  AE: { code: 'AE', currency: 'AED', zone: { kind: 'fixed', minutes: 240 }, language: 'en', cities: ['DUBAI', 'ABU DHABI'] },
  MX: { code: 'MX', currency: 'MXN', zone: { kind: 'fixed', minutes: -360 }, language: 'en', cities: ['CIUDAD DE MEXICO', 'CANCUN', 'GUADALAJARA'] },
  BR: { code: 'BR', currency: 'BRL', zone: { kind: 'fixed', minutes: -180 }, language: 'en', cities: ['SAO PAULO', 'RIO DE JANEIRO'] },
  SG: { code: 'SG', currency: 'SGD', zone: { kind: 'fixed', minutes: 480 }, language: 'en', cities: ['SINGAPORE'] },
  ID: { code: 'ID', currency: 'IDR', zone: { kind: 'fixed', minutes: 420 }, language: 'en', cities: ['JAKARTA', 'DENPASAR'] },
  ZA: { code: 'ZA', currency: 'ZAR', zone: { kind: 'fixed', minutes: 120 }, language: 'en', cities: ['CAPE TOWN', 'JOHANNESBURG'] },
} as const satisfies Record<string, Country>;

export type CountryCode = keyof typeof COUNTRIES;

/** Where users live: mostly the euro area, so most accounts are in EUR. */
export const HOME_COUNTRY_WEIGHTS: readonly (readonly [CountryCode, number])[] = [
  ['NL', 34],
  ['DE', 20],
  ['BE', 8],
  ['FR', 9],
  ['ES', 6],
  ['IT', 5],
  ['IE', 3],
  ['AT', 2],
  ['GB', 6],
  ['SE', 2],
  ['PL', 3],
  ['CH', 2],
];

/** Holiday destinations, near ones far more often. */
export const TRAVEL_WEIGHTS: readonly (readonly [CountryCode, number])[] = [
  ['ES', 14],
  ['IT', 12],
  ['FR', 10],
  ['PT', 8],
  ['GR', 7],
  ['AT', 5],
  ['GB', 8],
  ['DE', 5],
  ['NL', 4],
  ['CH', 3],
  ['DK', 3],
  ['CZ', 3],
  ['HU', 2],
  ['US', 5],
  ['TR', 4],
  ['MA', 2],
  ['TH', 2],
  ['JP', 1],
  ['AE', 1],
];

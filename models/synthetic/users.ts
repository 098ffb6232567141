import type { Category } from '../../shared/schemas/categories.js';
import { DAILY_MERCHANTS, EMPLOYERS, LANDLORDS, MORTGAGE_LENDERS, RECURRING_MERCHANTS, SAVINGS_ACCOUNTS } from './catalogue.js';
import type { MerchantTemplate } from './catalogue.js';
import { COUNTRIES, HOME_COUNTRY_WEIGHTS } from './geography.js';
import type { Country } from './geography.js';
import { fillPattern, personName } from './names.js';
import type { Random } from './random.js';

/** One merchant a user pays at: a brand's store in a city, with its own usual price level. */
export interface MerchantInstance {
  readonly template: MerchantTemplate;
  readonly name: string;
  readonly mcc: string | null;
  readonly country: Country;
  readonly city: string;
  /** This store's typical price relative to the brand's (a corner shop costs more). */
  readonly priceFactor: number;
}

/** A bill paid every month on about the same day. */
export interface Bill {
  readonly merchant: MerchantInstance;
  readonly amountEur: number;
  /** Day of the month, 1 to 28; moved to the next working day when it falls on a weekend. */
  readonly day: number;
}

export interface UserProfile {
  readonly index: number;
  readonly userId: string;
  readonly accountId: string;
  readonly country: Country;
  readonly city: string;
  /** How much this user spends relative to the average (log-normal around 1). */
  readonly activity: number;
  readonly salary: { readonly employer: string; readonly amountEur: number; readonly day: number } | undefined;
  readonly housing: { readonly kind: 'rent' | 'mortgage'; readonly payee: string; readonly mcc: string | null; readonly amountEur: number; readonly day: number };
  readonly bills: readonly Bill[];
  readonly savings: { readonly name: string; readonly amountEur: number; readonly day: number } | undefined;
  readonly favourites: ReadonlyMap<Category, readonly MerchantInstance[]>;
  readonly contacts: readonly string[];
  /** Chance per day of planning a trip. */
  readonly tripRate: number;
  /** Some banks never pass the MCC on; then the name is all a model has. */
  readonly bankSendsMcc: boolean;
}

/** Daily templates a user in `country` can meet (the brand trades there, or anywhere). */
export function templatesIn(country: Country, category: Category): readonly MerchantTemplate[] {
  return DAILY_MERCHANTS.filter(
    (template) => template.category === category && (template.countries === undefined || (template.countries as readonly string[]).includes(country.code)),
  );
}

export function instantiate(template: MerchantTemplate, country: Country, city: string, random: Random): MerchantInstance {
  const pattern = random.pick(template.names);
  return {
    template,
    name: fillPattern(pattern, random, city),
    mcc: random.pick(template.mccs),
    country,
    city,
    priceFactor: template.price.fixed ? 1 : random.logNormal(1, 0.2),
  };
}

/** A random instance of a random template of `category` in `country` (weighted by popularity). */
export function randomMerchant(category: Category, country: Country, city: string, random: Random): MerchantInstance | undefined {
  const templates = templatesIn(country, category);
  if (templates.length === 0) return undefined;
  const template = random.weighted(templates.map((item) => [item, item.weight ?? 1] as const));
  return instantiate(template, country, city, random);
}

const DAILY_CATEGORIES: readonly Category[] = ['groceries', 'dining', 'transport', 'shopping', 'entertainment', 'health', 'housing', 'other', 'transfers'];

const cents = (value: number): number => Math.round(value * 100) / 100;

/** Builds user `index` of a population; the same seed and index always give the same user. */
export function createUser(index: number, seedTag: string, random: Random): UserProfile {
  const country: Country = COUNTRIES[random.weighted(HOME_COUNTRY_WEIGHTS)];
  const city = random.pick(country.cities);
  const otherCity = (): string => (random.chance(0.85) ? city : random.pick(country.cities));

  const favourites = new Map<Category, MerchantInstance[]>();
  for (const category of DAILY_CATEGORIES) {
    const list: MerchantInstance[] = [];
    const wanted = random.int(2, 5);
    for (let i = 0; i < wanted; i += 1) {
      const merchant = randomMerchant(category, country, otherCity(), random);
      if (merchant) list.push(merchant);
    }
    favourites.set(category, list);
  }

  const home = (template: MerchantTemplate): MerchantInstance => instantiate(template, country, city, random);
  const bills: Bill[] = [];
  const addBill = (template: MerchantTemplate, probability: number): void => {
    if (!random.chance(probability)) return;
    const merchant = home(template);
    const price = template.price;
    const amountEur = price.fixed ? random.pick(price.fixed) : cents(random.logNormal(price.median, price.sigma));
    bills.push({ merchant, amountEur, day: random.int(1, 28) });
  };
  addBill(RECURRING_MERCHANTS.energy, 0.9);
  addBill(RECURRING_MERCHANTS.water, 0.5);
  addBill(RECURRING_MERCHANTS.telecom, 0.95);
  addBill(RECURRING_MERCHANTS.internet, 0.6);
  addBill(RECURRING_MERCHANTS.healthInsurance, ['NL', 'DE', 'CH'].includes(country.code) ? 0.9 : 0.3);
  addBill(RECURRING_MERCHANTS.homeInsurance, 0.4);
  addBill(RECURRING_MERCHANTS.netflix, 0.5);
  addBill(RECURRING_MERCHANTS.spotify, 0.45);
  addBill(RECURRING_MERCHANTS.disney, 0.25);
  addBill(RECURRING_MERCHANTS.apple, 0.35);
  addBill(RECURRING_MERCHANTS.gym, 0.35);
  addBill(RECURRING_MERCHANTS.news, 0.15);

  const mortgage = random.chance(0.3);
  if (mortgage) addBill(RECURRING_MERCHANTS.hoa, 0.4);
  const housing = {
    kind: mortgage ? ('mortgage' as const) : ('rent' as const),
    payee: fillPattern(random.pick((mortgage ? MORTGAGE_LENDERS : LANDLORDS)[country.language]), random, city),
    mcc: !mortgage && random.chance(0.2) ? '6513' : null,
    amountEur: cents(random.logNormal(mortgage ? 1250 : 1050, 0.35)),
    day: random.int(1, 3),
  };

  const salaried = random.chance(0.92);
  const salary = salaried
    ? { employer: fillPattern(random.pick(EMPLOYERS[country.language]), random, city), amountEur: cents(random.logNormal(3300, 0.35)), day: random.pick([20, 23, 24, 25, 25, 25, 26, 28]) }
    : undefined;
  const savings = random.chance(0.5)
    ? { name: random.pick(SAVINGS_ACCOUNTS), amountEur: random.pick([50, 100, 150, 200, 250, 300, 500]), day: random.int(24, 28) }
    : undefined;

  const contacts: string[] = [];
  const contactCount = random.int(3, 8);
  for (let i = 0; i < contactCount; i += 1) contacts.push(personName(random));

  return {
    index,
    userId: `user-${seedTag}-${String(index).padStart(5, '0')}`,
    accountId: `acct-${seedTag}-${String(index).padStart(5, '0')}-${random.int(1, 3)}`,
    country,
    city,
    activity: random.logNormal(1, 0.35),
    salary,
    housing,
    bills,
    savings,
    favourites,
    contacts,
    tripRate: random.uniform(1 / 150, 1 / 45),
    bankSendsMcc: random.chance(0.8),
  };
}

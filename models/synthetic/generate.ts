import type { Category } from '../../shared/schemas/categories.js';
import type { BrokerTransaction } from '../../shared/schemas/transaction.js';
import { currencyExponent, formatMinor } from '../../shared/money.js';
import { DAY_MS, formatLocal, localToUtc, MONTH_NAMES } from './calendar.js';
import type { Zone } from './calendar.js';
import {
  CARD_NOTES,
  DAILY_RATES,
  DEBIT_NOTES,
  MORTGAGE_NOTES,
  OTHER_INCOME,
  REFUND_NOTES,
  RENT_NOTES,
  RISKY_MCCS,
  RISKY_NAME_WORDS,
  SALARY_NOTES,
  TRANSFER_NOTES,
  TRAVEL_MERCHANTS,
} from './catalogue.js';
import type { MerchantTemplate } from './catalogue.js';
import { UNITS_PER_EUR } from '../features/fx.js';
import { COUNTRIES, TRAVEL_WEIGHTS } from './geography.js';
import type { Country } from './geography.js';
import { DAYTIME_PROFILES, HOUR_PROFILES } from './hours.js';
import type { HourProfile } from './hours.js';
import { fillPattern, inventBrand } from './names.js';
import { Random } from './random.js';
import { createUser, instantiate, randomMerchant } from './users.js';
import type { MerchantInstance, UserProfile } from './users.js';

/** The kinds of injected anomaly; stable strings, tests and the mock broker key on them. */
export const AnomalyKind = {
  /** A payment many times larger than this user usually pays this merchant. */
  Amount: 'amount',
  /** A daytime merchant (supermarket, shop, fuel) paid in the middle of the night. */
  Time: 'time',
  /** A first payment to a made-up merchant in a country the user does not live in or visit. */
  NewMerchantAbroad: 'new-merchant-abroad',
} as const;

export type AnomalyKindValue = (typeof AnomalyKind)[keyof typeof AnomalyKind];

/** The truth about a generated transaction. */
export interface TransactionLabel {
  readonly category: Category;
  readonly isAnomaly: boolean;
  /** Set when `isAnomaly` is true. */
  readonly anomalyKind?: AnomalyKindValue;
}

/** One generated transaction: exactly what the broker API would send, and its label. */
export interface LabelledTransaction {
  readonly broker: BrokerTransaction;
  readonly label: TransactionLabel;
}

export interface GenerateOptions {
  /** Every draw derives from it: the same seed (and options) gives the same lines. @default 1 */
  readonly seed?: number;
  /** How many transactions to produce; a stream without it never ends. */
  readonly count?: number;
  /**
   * Account holders. Each books about two transactions a day, so `count / (2 * users)` is
   * roughly how many days the lines span. @default 100
   */
  readonly users?: number;
  /**
   * Nothing is booked before this instant; days run forward from its UTC date. Pick it far enough
   * back that `count` lines end before the real clock (receivers reject lines over a day ahead).
   * @default '2026-10-01T00:00:00Z'
   */
  readonly startAt?: Date | string;
  /** Share of card payments turned into anomalies, 0 to 1. @default 0.015 */
  readonly anomalyRate?: number;
}

export const DEFAULT_GENERATE_OPTIONS = {
  seed: 1,
  users: 100,
  startAt: '2026-10-01T00:00:00Z',
  anomalyRate: 0.015,
} as const;

// Tags for independent random streams, so that adding a draw to one kind of event does not
// shift every other event of the data set.
const USER_STREAM = 0x5553;
const DAY_STREAM = 0x4441;
// A user's day runs from local midnight; with offsets between -06:00 and +09:00 nothing booked on
// a later day can precede this much before the next UTC midnight.
const FINAL_BEFORE_NEXT_DAY_MS = 14 * 60 * 60 * 1000;

interface Draft {
  readonly utcMs: number;
  readonly offset: number;
  readonly userIndex: number;
  readonly seq: number;
  readonly name: string;
  readonly mcc: string | null;
  readonly currency: string;
  readonly minor: number;
  readonly description: string | undefined;
  readonly label: TransactionLabel;
}

interface Trip {
  readonly country: Country;
  readonly city: string;
  readonly startDay: number;
  readonly endDay: number;
  readonly pool: Map<Category, MerchantInstance[]>;
  readonly hotel: MerchantInstance | undefined;
  readonly hotelEur: number;
}

interface PendingRefund {
  readonly dueDay: number;
  readonly name: string;
  readonly mcc: string | null;
  readonly currency: string;
  readonly minor: number;
  readonly category: Category;
  readonly zone: Zone;
}

/** Units of `currency` for an amount priced in euros, at least one minor unit. */
function toMinor(eur: number, currency: string): number {
  const units = UNITS_PER_EUR[currency] ?? 1;
  return Math.max(1, Math.round(eur * units * 10 ** currencyExponent(currency)));
}

function sampleMinute(profile: HourProfile, random: Random): number {
  const weights = HOUR_PROFILES[profile];
  const hour = random.weighted(weights.map((weight, index) => [index, weight] as const));
  return hour * 60 + random.int(0, 59);
}

/** The calendar of one day: its date parts in the user's local calendar. */
interface DayInfo {
  readonly day: number;
  readonly dayUtcMs: number;
  readonly year: number;
  readonly month: number;
  readonly dayOfMonth: number;
  readonly weekday: number;
}

function dayInfo(day: number, dayUtcMs: number): DayInfo {
  const date = new Date(dayUtcMs);
  return { day, dayUtcMs, year: date.getUTCFullYear(), month: date.getUTCMonth(), dayOfMonth: date.getUTCDate(), weekday: date.getUTCDay() };
}

/** True on the working day a monthly debit due on `dueDay` is booked (weekends move it to Monday). */
function isDue(info: DayInfo, dueDay: number): boolean {
  const bookedOn = (year: number, month: number): number => {
    const due = Date.UTC(year, month, dueDay);
    const weekday = new Date(due).getUTCDay();
    return due + (weekday === 6 ? 2 : weekday === 0 ? 1 : 0) * DAY_MS;
  };
  return bookedOn(info.year, info.month) === info.dayUtcMs || bookedOn(info.year, info.month - 1) === info.dayUtcMs;
}

/** True on the day a salary due on `payDay` arrives (weekends move it to the Friday before). */
function isPayday(info: DayInfo, payDay: number): boolean {
  const due = Date.UTC(info.year, info.month, payDay);
  const weekday = new Date(due).getUTCDay();
  return due - (weekday === 6 ? 1 : weekday === 0 ? 2 : 0) * DAY_MS === info.dayUtcMs;
}

/** One user's life, advanced a day at a time; keeps the state that spans days (trips, refunds). */
class UserTimeline {
  private trip: Trip | undefined;
  private refunds: PendingRefund[] = [];
  private seq = 0;
  private drafts: Draft[] = [];

  public constructor(
    private readonly user: UserProfile,
    private readonly seed: number,
    private readonly anomalyRate: number,
  ) {}

  public day(info: DayInfo): Draft[] {
    const random = new Random(this.seed, DAY_STREAM, this.user.index, info.day);
    this.drafts = [];
    this.seq = 0;
    const lang = this.user.country.language;
    const monthName = MONTH_NAMES[lang][info.month] ?? '';
    const home = this.user.country;

    if (this.trip && info.day > this.trip.endDay) this.trip = undefined;
    const travelling = this.trip !== undefined && info.day >= this.trip.startDay;

    // Money in.
    const salary = this.user.salary;
    if (salary && isPayday(info, salary.day)) {
      const amount = salary.amountEur * random.logNormal(1, 0.03);
      this.push(info, home.zone, sampleMinute('batch', random), salary.employer, null, home.currency, toMinor(amount, home.currency), `${SALARY_NOTES[lang]} ${monthName} ${info.year}`, 'income');
    }
    if (random.chance(0.004)) {
      const income = random.pick(OTHER_INCOME);
      const name = fillPattern(income.name, random, this.user.city);
      const note = income.note.replace('{YEAR}', String(info.year - 1));
      this.push(info, home.zone, sampleMinute('batch', random), name, null, home.currency, toMinor(random.logNormal(income.median, 0.4), home.currency), note, 'income');
    }

    // Monthly debits.
    const housing = this.user.housing;
    if (isDue(info, housing.day)) {
      const note = `${(housing.kind === 'rent' ? RENT_NOTES : MORTGAGE_NOTES)[lang]} ${monthName} ${info.year}`;
      this.push(info, home.zone, sampleMinute('batch', random), housing.payee, housing.mcc, home.currency, -toMinor(housing.amountEur, home.currency), note, 'housing');
    }
    for (const bill of this.user.bills) {
      if (!isDue(info, bill.day)) continue;
      const variable = bill.merchant.template.price.fixed === undefined && bill.merchant.template.category === 'utilities';
      const amount = variable ? bill.amountEur * random.logNormal(1, 0.08) : bill.amountEur;
      const note = random.chance(0.7) ? `${DEBIT_NOTES[lang]} ${fillPattern('{REF}', random, '')} ${monthName}` : undefined;
      const profile = bill.merchant.template.hours;
      this.push(info, home.zone, sampleMinute(profile, random), bill.merchant.name, bill.merchant.mcc, home.currency, -toMinor(amount, home.currency), note, bill.merchant.template.category);
    }
    const savings = this.user.savings;
    if (savings && isDue(info, savings.day)) {
      this.push(info, home.zone, sampleMinute('batch', random), savings.name, null, home.currency, -toMinor(savings.amountEur, home.currency), random.chance(0.5) ? 'SPAREN' : 'Savings', 'transfers');
    }

    // Refunds that come back today.
    const due = this.refunds.filter((refund) => refund.dueDay === info.day);
    this.refunds = this.refunds.filter((refund) => refund.dueDay !== info.day);
    for (const refund of due) {
      this.push(info, refund.zone, sampleMinute('online', random), refund.name, refund.mcc, refund.currency, refund.minor, random.pick(REFUND_NOTES), refund.category);
    }

    // Transfers between people.
    const transfers = random.poisson(0.11);
    for (let i = 0; i < transfers; i += 1) {
      const outgoing = random.chance(0.6);
      const raw = random.logNormal(30, 0.9);
      // Friends settle up in round sums as often as to the cent.
      const amount = random.chance(0.4) ? Math.round(raw) : Math.round(raw * 100) / 100;
      const note = random.chance(0.75) ? random.pick(TRANSFER_NOTES) : undefined;
      const minor = toMinor(Math.max(1, amount), home.currency);
      this.push(info, home.zone, sampleMinute('any', random), random.pick(this.user.contacts), null, home.currency, outgoing ? -minor : minor, note, 'transfers');
    }

    // Trips: planned at home, booked online, then spent at the destination.
    if (this.trip === undefined && random.chance(this.user.tripRate)) this.planTrip(info, random);
    const trip = this.trip;
    if (trip && info.day === trip.endDay && trip.hotel) {
      this.cardPayment(info, random, trip.hotel, trip.country.zone, trip.hotelEur, trip.country.currency);
    }
    if (trip && info.day === trip.startDay && random.chance(0.2)) {
      const car = instantiate(TRAVEL_MERCHANTS.carRental, trip.country, trip.city, random);
      this.cardPayment(info, random, car, trip.country.zone, random.logNormal(car.template.price.median, car.template.price.sigma), trip.country.currency);
    }

    // Everyday spending.
    const weekend = info.weekday === 0 || info.weekday === 6;
    for (const [category, rates] of Object.entries(DAILY_RATES) as [Category, { weekday: number; weekend: number }][]) {
      const rate = (weekend ? rates.weekend : rates.weekday) * this.user.activity;
      const count = random.poisson(rate);
      for (let i = 0; i < count; i += 1) {
        if (travelling && trip && (category === 'groceries' || category === 'dining' || category === 'transport' || category === 'shopping' || category === 'entertainment')) {
          const merchant = this.tripMerchant(trip, category, random);
          if (merchant) this.dailyPayment(info, random, merchant, trip.country.zone);
          continue;
        }
        if (travelling && random.chance(0.7)) continue;
        const favourites = this.user.favourites.get(category) ?? [];
        const merchant = favourites.length > 0 && random.chance(0.8) ? random.pick(favourites) : randomMerchant(category, home, this.user.city, random);
        if (merchant) this.dailyPayment(info, random, merchant, home.zone);
      }
    }
    return this.drafts;
  }

  private planTrip(info: DayInfo, random: Random): void {
    const home = this.user.country;
    const code = random.weighted(TRAVEL_WEIGHTS.filter(([candidate]) => candidate !== home.code));
    const country: Country = COUNTRIES[code];
    const city = random.pick(country.cities);
    const startDay = info.day + random.int(5, 40);
    const endDay = startDay + random.int(2, 9);
    const pool = new Map<Category, MerchantInstance[]>();
    const packaged = random.chance(0.15);
    const near = country.zone.kind === 'eu';
    if (packaged) {
      this.bookOnline(info, random, TRAVEL_MERCHANTS.agency);
    } else if (near && random.chance(0.25)) {
      this.bookOnline(info, random, TRAVEL_MERCHANTS.train);
    } else {
      this.bookOnline(info, random, TRAVEL_MERCHANTS.flight);
    }
    const prepaid = packaged || random.chance(0.5);
    if (prepaid && !packaged) this.bookOnline(info, random, TRAVEL_MERCHANTS.hotel, city);
    const nights = endDay - startDay;
    this.trip = {
      country,
      city,
      startDay,
      endDay,
      pool,
      hotel: prepaid ? undefined : instantiate(TRAVEL_MERCHANTS.hotel, country, city, random),
      hotelEur: random.logNormal(95, 0.4) * nights,
    };
  }

  private bookOnline(info: DayInfo, random: Random, template: MerchantTemplate, city = this.user.city): void {
    const merchant = instantiate(template, this.user.country, city, random);
    const eur = random.logNormal(template.price.median, template.price.sigma);
    this.cardPayment(info, random, merchant, this.user.country.zone, eur, this.user.country.currency, 'online');
  }

  private tripMerchant(trip: Trip, category: Category, random: Random): MerchantInstance | undefined {
    const known = trip.pool.get(category) ?? [];
    if (known.length > 0 && random.chance(0.5)) return random.pick(known);
    const merchant = randomMerchant(category, trip.country, trip.city, random);
    if (merchant) trip.pool.set(category, [...known, merchant]);
    return merchant;
  }

  /** An everyday card payment, which may be turned into an anomaly. */
  private dailyPayment(info: DayInfo, random: Random, merchant: MerchantInstance, zone: Zone): void {
    const template = merchant.template;
    const price = template.price;
    let eur = price.fixed ? random.pick(price.fixed) : random.logNormal(price.median * merchant.priceFactor, price.sigma);
    // People pay friends and cash machines in round sums; everything else in cents.
    if (template.category === 'transfers') eur = Math.round(eur / 5) * 5 || 5;
    const currency = template.online ? this.user.country.currency : merchant.country.currency;
    if (!random.chance(this.anomalyRate)) {
      // Online shops paid through PayPal show up under PayPal's name and MCC.
      const paid = template.online && random.chance(0.15) ? viaPaypal(merchant) : merchant;
      this.cardPayment(info, random, paid, zone, eur, currency);
      return;
    }
    const kind = random.weighted([
      [AnomalyKind.Amount, 0.4],
      [AnomalyKind.Time, 0.25],
      [AnomalyKind.NewMerchantAbroad, 0.35],
    ] as const);
    if (kind === AnomalyKind.Time && DAYTIME_PROFILES.has(template.hours)) {
      const minute = random.int(60, 270);
      this.push(info, zone, minute, merchant.name, merchant.mcc, currency, -toMinor(eur, currency), this.cardNote(random), template.category, AnomalyKind.Time);
    } else if (kind === AnomalyKind.NewMerchantAbroad) {
      this.newMerchantAbroad(info, random);
    } else {
      const factor = random.uniform(6, 25);
      this.push(info, zone, sampleMinute(template.hours, random), merchant.name, merchant.mcc, currency, -toMinor(eur * factor, currency), this.cardNote(random), template.category, AnomalyKind.Amount);
    }
  }

  private newMerchantAbroad(info: DayInfo, random: Random): void {
    const excluded = new Set([this.user.country.code, this.trip?.country.code]);
    const candidates = (Object.values(COUNTRIES) as Country[]).filter((country) => !excluded.has(country.code));
    const country = random.pick(candidates);
    const city = random.pick(country.cities);
    const [mcc, category] = random.pick(RISKY_MCCS);
    const name = `${inventBrand(random)} ${random.pick(RISKY_NAME_WORDS)} ${city}`;
    const eur = random.logNormal(380, 0.6);
    this.push(info, country.zone, sampleMinute('any', random), name, mcc, country.currency, -toMinor(eur, country.currency), undefined, category, AnomalyKind.NewMerchantAbroad);
  }

  private cardPayment(info: DayInfo, random: Random, merchant: MerchantInstance, zone: Zone, eur: number, currency: string, profile: HourProfile = merchant.template.hours): void {
    const category = merchant.template.category;
    const minor = toMinor(eur, currency);
    this.push(info, zone, sampleMinute(profile, random), merchant.name, merchant.mcc, currency, -minor, this.cardNote(random), category);
    const refundable = category === 'shopping' || category === 'travel';
    if (refundable && random.chance(0.05)) {
      const partial = random.chance(0.3) ? Math.max(1, Math.round(minor * random.uniform(0.2, 0.8))) : minor;
      this.refunds.push({ dueDay: info.day + random.int(2, 20), name: merchant.name, mcc: merchant.mcc, currency, minor: partial, category, zone: this.user.country.zone });
    }
  }

  private cardNote(random: Random): string | undefined {
    if (!random.chance(0.45)) return undefined;
    return fillPattern(random.pick(CARD_NOTES[this.user.country.language]), random, '');
  }

  private push(
    info: DayInfo,
    zone: Zone,
    minuteOfDay: number,
    name: string,
    mcc: string | null,
    currency: string,
    minor: number,
    description: string | undefined,
    category: Category,
    anomalyKind?: AnomalyKindValue,
  ): void {
    const { utcMs, offset } = localToUtc(zone, info.dayUtcMs, minuteOfDay);
    const sentMcc = this.user.bankSendsMcc ? mcc : null;
    const label: TransactionLabel = anomalyKind === undefined ? { category, isAnomaly: false } : { category, isAnomaly: true, anomalyKind };
    this.drafts.push({ utcMs: utcMs + (this.seq % 60) * 1000, offset, userIndex: this.user.index, seq: this.seq, name, mcc: sentMcc, currency, minor, description, label });
    this.seq += 1;
  }
}

/** `PAYPAL *BOLCOM`: the shop's first word, squeezed, behind PayPal's own MCC. */
function viaPaypal(merchant: MerchantInstance): MerchantInstance {
  const word = (merchant.name.split(/[ *]/)[0] ?? merchant.name).replace(/[^A-Z0-9]/g, '');
  return { ...merchant, name: `PAYPAL *${word}`, mcc: '4829' };
}

function compareDrafts(a: Draft, b: Draft): number {
  return a.utcMs - b.utcMs || a.userIndex - b.userIndex || a.seq - b.seq;
}

function toBroker(draft: Draft, index: number, seedTag: string, user: UserProfile): BrokerTransaction {
  const merchant = draft.mcc === null ? { name: draft.name } : { name: draft.name, mcc: draft.mcc };
  return {
    transactionId: `tx-${seedTag}-${index.toString(36).padStart(8, '0')}`,
    userId: user.userId,
    accountId: user.accountId,
    bookedAt: formatLocal(draft.utcMs, draft.offset),
    amount: { value: formatMinor({ minor: draft.minor, currency: draft.currency }), currency: draft.currency },
    merchant,
    ...(draft.description === undefined ? {} : { description: draft.description }),
  };
}

function resolveOptions(options: GenerateOptions): Required<Omit<GenerateOptions, 'count' | 'startAt'>> & { startMs: number; count: number } {
  const startAt = options.startAt ?? DEFAULT_GENERATE_OPTIONS.startAt;
  const startMs = typeof startAt === 'string' ? Date.parse(startAt) : startAt.getTime();
  const resolved = {
    seed: options.seed ?? DEFAULT_GENERATE_OPTIONS.seed,
    users: options.users ?? DEFAULT_GENERATE_OPTIONS.users,
    anomalyRate: options.anomalyRate ?? DEFAULT_GENERATE_OPTIONS.anomalyRate,
    startMs,
    count: options.count ?? Number.POSITIVE_INFINITY,
  };
  if (!Number.isInteger(resolved.seed)) throw new RangeError(`seed must be an integer, got ${resolved.seed}`);
  if (!Number.isInteger(resolved.users) || resolved.users < 1) throw new RangeError(`users must be a positive integer, got ${resolved.users}`);
  if (!(resolved.anomalyRate >= 0 && resolved.anomalyRate <= 1)) throw new RangeError(`anomalyRate must be between 0 and 1, got ${resolved.anomalyRate}`);
  if (Number.isNaN(startMs)) throw new RangeError(`startAt must be a date, got ${String(startAt)}`);
  if (!(resolved.count >= 0)) throw new RangeError(`count must be zero or more, got ${resolved.count}`);
  return resolved;
}

/**
 * Labelled broker transactions in booking order (ties broken by user, then by the user's own
 * order), lazily. The first `n` lines for a seed do not depend on `count`, so a longer run
 * extends a shorter one.
 *
 * @example
 * for (const { broker, label } of transactionStream({ seed: 7, count: 1000 })) {
 *   process.stdout.write(`${JSON.stringify(broker)}\n`);
 * }
 */
export function* transactionStream(options: GenerateOptions = {}): Generator<LabelledTransaction, void, undefined> {
  const { seed, users: userCount, anomalyRate, startMs, count } = resolveOptions(options);
  if (count === 0) return;
  const seedTag = (seed >>> 0).toString(36);
  const users = Array.from({ length: userCount }, (_, index) => createUser(index, seedTag, new Random(seed, USER_STREAM, index)));
  const timelines = users.map((user) => new UserTimeline(user, seed, anomalyRate));
  const start = new Date(startMs);
  const firstDayUtc = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());

  let pending: Draft[] = [];
  let emitted = 0;
  for (let day = 0; ; day += 1) {
    const info = dayInfo(day, firstDayUtc + day * DAY_MS);
    for (const timeline of timelines) {
      for (const draft of timeline.day(info)) if (draft.utcMs >= startMs) pending.push(draft);
    }
    pending.sort(compareDrafts);
    const final = info.dayUtcMs + DAY_MS - FINAL_BEFORE_NEXT_DAY_MS;
    let taken = 0;
    while (taken < pending.length && (pending[taken] as Draft).utcMs < final) {
      const draft = pending[taken] as Draft;
      yield { broker: toBroker(draft, emitted, seedTag, users[draft.userIndex] as UserProfile), label: draft.label };
      taken += 1;
      emitted += 1;
      if (emitted >= count) return;
    }
    pending = pending.slice(taken);
  }
}

/** The first `count` lines of `transactionStream(options)`, as an array. */
export function generateTransactions(options: GenerateOptions & { readonly count: number }): LabelledTransaction[] {
  return [...transactionStream(options)];
}

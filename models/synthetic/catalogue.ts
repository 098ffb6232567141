import type { Category } from '../../shared/schemas/categories.js';
import type { CountryCode } from './geography.js';
import type { HourProfile } from './hours.js';

/** A price in euros: log-normal around `median`, or one of `fixed` (subscriptions, ATM notes). */
export interface Price {
  readonly median: number;
  readonly sigma: number;
  readonly fixed?: readonly number[];
}

/**
 * A kind of merchant. Each user gets a few instances (a store number in a city) and keeps going
 * back to them. Name patterns take `{CITY}`, `{NO3}`, `{NO4}`, `{REF}`, `{WORD}`, `{SURNAME}` and
 * `{INITIAL}`; an MCC of `null` is a line the broker sends without one (as banks often do).
 */
export interface MerchantTemplate {
  readonly key: string;
  readonly category: Category;
  readonly mccs: readonly (string | null)[];
  readonly names: readonly string[];
  /** Where the brand trades; `undefined` means anywhere (generic shops and online services). */
  readonly countries?: readonly CountryCode[];
  /** Online merchants ignore the city and charge in the user's own currency. */
  readonly online?: boolean;
  readonly price: Price;
  readonly hours: HourProfile;
  /** Relative popularity within its category. @default 1 */
  readonly weight?: number;
}

const EURO_AREA: readonly CountryCode[] = ['NL', 'DE', 'BE', 'FR', 'ES', 'IT', 'IE', 'PT', 'AT', 'GR'];
const EUROPE: readonly CountryCode[] = [...EURO_AREA, 'GB', 'SE', 'PL', 'CH', 'DK', 'CZ', 'HU'];
const NL_BE: readonly CountryCode[] = ['NL', 'BE'];
const DACH: readonly CountryCode[] = ['DE', 'AT', 'CH'];

const t = (template: MerchantTemplate): MerchantTemplate => template;

/** Merchants people visit on an ordinary day, drawn by category. */
export const DAILY_MERCHANTS: readonly MerchantTemplate[] = [
  // groceries
  t({ key: 'ah', category: 'groceries', mccs: ['5411'], names: ['ALBERT HEIJN {NO4} {CITY}', 'AH TO GO {NO4} {CITY}'], countries: NL_BE, price: { median: 24, sigma: 0.8 }, hours: 'grocery', weight: 4 }),
  t({ key: 'jumbo', category: 'groceries', mccs: ['5411'], names: ['JUMBO {CITY} {NO3}', 'JUMBO SUPERMARKTEN {NO4}'], countries: NL_BE, price: { median: 28, sigma: 0.8 }, hours: 'grocery', weight: 3 }),
  t({ key: 'plus', category: 'groceries', mccs: ['5411'], names: ['PLUS {SURNAME} {CITY}', 'DIRK VD BROEK {NO3} {CITY}'], countries: ['NL'], price: { median: 22, sigma: 0.8 }, hours: 'grocery' }),
  t({ key: 'lidl', category: 'groceries', mccs: ['5411'], names: ['LIDL {NO3} {CITY}', 'LIDL SAGT DANKE {CITY}', 'LIDL DIENSTLEISTUNG {NO4}'], countries: EUROPE, price: { median: 26, sigma: 0.7 }, hours: 'grocery', weight: 3 }),
  t({ key: 'aldi', category: 'groceries', mccs: ['5411'], names: ['ALDI {NO3} {CITY}', 'ALDI SUED {NO4} {CITY}', 'ALDI NORD {NO4}'], countries: ['NL', 'DE', 'BE', 'FR', 'ES', 'IT', 'IE', 'GB', 'AT'], price: { median: 25, sigma: 0.7 }, hours: 'grocery', weight: 2 }),
  t({ key: 'rewe', category: 'groceries', mccs: ['5411'], names: ['REWE MARKT {NO4} {CITY}', 'REWE {CITY}', 'EDEKA {SURNAME} {CITY}', 'NETTO MARKEN-DISCOUNT {NO4}', 'KAUFLAND {CITY} {NO3}'], countries: DACH, price: { median: 27, sigma: 0.8 }, hours: 'grocery', weight: 5 }),
  t({ key: 'carrefour', category: 'groceries', mccs: ['5411'], names: ['CARREFOUR {CITY} {NO3}', 'CARREFOUR EXPRESS {NO4}', 'MONOPRIX {CITY}', 'FRANPRIX {NO4} {CITY}', 'AUCHAN {CITY}'], countries: ['FR', 'BE', 'ES', 'IT'], price: { median: 27, sigma: 0.8 }, hours: 'grocery', weight: 4 }),
  t({ key: 'delhaize', category: 'groceries', mccs: ['5411'], names: ['DELHAIZE {CITY} {NO3}', 'COLRUYT {CITY}', 'AD DELHAIZE {NO4}'], countries: ['BE'], price: { median: 30, sigma: 0.8 }, hours: 'grocery', weight: 4 }),
  t({ key: 'mercadona', category: 'groceries', mccs: ['5411'], names: ['MERCADONA {CITY} {NO4}', 'SUPERMERCADOS DIA {NO4}', 'ESSELUNGA {CITY}', 'CONAD {CITY} {NO3}', 'PINGO DOCE {CITY}'], countries: ['ES', 'IT', 'PT'], price: { median: 24, sigma: 0.8 }, hours: 'grocery', weight: 5 }),
  t({ key: 'tesco', category: 'groceries', mccs: ['5411'], names: ['TESCO STORES {NO4}', 'TESCO EXPRESS {CITY}', 'SAINSBURYS {CITY}', 'DUNNES STORES {CITY}'], countries: ['GB', 'IE'], price: { median: 22, sigma: 0.8 }, hours: 'grocery', weight: 5 }),
  t({ key: 'north', category: 'groceries', mccs: ['5411'], names: ['ICA NARA {CITY}', 'COOP {CITY} {NO3}', 'BIEDRONKA {NO4} {CITY}', 'ZABKA Z{NO4} {CITY}', 'MIGROS {CITY}', 'NETTO {CITY} {NO3}'], countries: ['SE', 'PL', 'CH', 'DK', 'CZ', 'HU'], price: { median: 23, sigma: 0.8 }, hours: 'grocery', weight: 5 }),
  t({ key: 'spar', category: 'groceries', mccs: ['5411', '5499'], names: ['SPAR {CITY} {NO3}', 'SPAR EXPRESS {NO4}', 'BILLA {NO4} {CITY}'], countries: ['NL', 'AT', 'IE', 'IT', 'HU', 'CZ'], price: { median: 15, sigma: 0.8 }, hours: 'grocery' }),
  t({ key: 'local-super', category: 'groceries', mccs: ['5411', '5499', null], names: ['SUPERMARKET {WORD} {CITY}', 'MINIMARKET {CITY} {NO3}', 'SUPERMERCADO {WORD}', 'EPICERIE {WORD} {CITY}'], price: { median: 16, sigma: 0.8 }, hours: 'grocery', weight: 1 }),
  t({ key: 'bakery', category: 'groceries', mccs: ['5462', '5499'], names: ['BAKKERIJ {SURNAME} {CITY}', 'BAECKEREI {SURNAME}', 'BOULANGERIE {WORD}', 'PANADERIA {WORD}'], price: { median: 7, sigma: 0.5 }, hours: 'grocery' }),
  t({ key: 'butcher', category: 'groceries', mccs: ['5422', '5499'], names: ['SLAGERIJ {SURNAME}', 'METZGEREI {SURNAME} {CITY}', 'BOUCHERIE {WORD}', 'KAASHANDEL {SURNAME}'], price: { median: 18, sigma: 0.6 }, hours: 'grocery', weight: 0.6 }),
  t({ key: 'online-grocery', category: 'groceries', mccs: ['5411', '5499'], names: ['PICNIC', 'FLINK SE', 'CRISP', 'HELLOFRESH {REF}'], countries: ['NL', 'DE'], online: true, price: { median: 62, sigma: 0.5 }, hours: 'evening' }),
  t({ key: 'organic', category: 'groceries', mccs: ['5499'], names: ['EKOPLAZA {CITY}', 'MARQT {CITY}', 'DENNS BIOMARKT {CITY}', 'ALNATURA {NO4}'], countries: ['NL', 'DE'], price: { median: 21, sigma: 0.7 }, hours: 'grocery', weight: 0.7 }),

  // dining
  t({ key: 'restaurant', category: 'dining', mccs: ['5812', '5812', '5812', null], names: ['RESTAURANT {WORD} {CITY}', '{WORD} {CITY}', 'RISTORANTE {WORD}', 'BRASSERIE {WORD} {CITY}', 'TRATTORIA {WORD}'], price: { median: 42, sigma: 0.6 }, hours: 'meal', weight: 4 }),
  t({ key: 'bar', category: 'dining', mccs: ['5813', '5813', '5812'], names: ['CAFE {WORD} {CITY}', 'BAR {WORD}', 'PUB {WORD} {CITY}', 'KNEIPE {WORD}', 'BIERCAFE {WORD}'], price: { median: 16, sigma: 0.6 }, hours: 'bar', weight: 3 }),
  t({ key: 'mcdonalds', category: 'dining', mccs: ['5814'], names: ['MCDONALDS {NO3} {CITY}', 'MCDONALD S {CITY}', 'BURGER KING {NO4}', 'KFC {CITY} {NO3}', 'SUBWAY {NO4} {CITY}', 'FEBO {CITY}'], countries: EUROPE, price: { median: 11, sigma: 0.45 }, hours: 'meal', weight: 3 }),
  t({ key: 'coffee', category: 'dining', mccs: ['5814', '5812'], names: ['STARBUCKS {NO4} {CITY}', 'COFFEE COMPANY {CITY}', 'BAGELS BEANS {CITY}', 'COSTA COFFEE {NO4}', 'TIM HORTONS {NO3}'], price: { median: 5.5, sigma: 0.4 }, hours: 'office', weight: 3 }),
  t({ key: 'delivery', category: 'dining', mccs: ['5812', '5814'], names: ['THUISBEZORGD.NL', 'LIEFERANDO.DE', 'UBER   *EATS', 'DELIVEROO {REF}', 'JUST EAT {CITY}'], online: true, price: { median: 29, sigma: 0.4 }, hours: 'evening', weight: 2 }),

  // transport
  t({ key: 'ns', category: 'transport', mccs: ['4111'], names: ['NS GROEP IZ {CITY}', 'NS REIZIGERS {NO4}', 'OV-CHIPKAART {CITY}', 'GVB {CITY}', 'RET {CITY}'], countries: ['NL'], price: { median: 9, sigma: 0.8 }, hours: 'commute', weight: 4 }),
  t({ key: 'db', category: 'transport', mccs: ['4111', '4112'], names: ['DB VERTRIEB GMBH', 'DB FERNVERKEHR {NO4}', 'BVG {CITY}', 'MVG {CITY} {NO3}', 'OEBB TICKET {NO4}', 'SBB CFF FFS'], countries: DACH, price: { median: 12, sigma: 0.9 }, hours: 'commute', weight: 4 }),
  t({ key: 'rail-other', category: 'transport', mccs: ['4111'], names: ['SNCF {CITY}', 'RATP {NO4}', 'NMBS SNCB {CITY}', 'RENFE VIAJEROS', 'TRENITALIA {CITY}', 'TFL TRAVEL CH', 'SL {CITY}', 'METRO {CITY}'], price: { median: 8, sigma: 0.8 }, hours: 'commute', weight: 3 }),
  t({ key: 'taxi', category: 'transport', mccs: ['4121'], names: ['UBER   *TRIP', 'UBER *TRIP HELP.UBER.COM', 'BOLT.EU/O/{REF}', 'TAXI {CITY} {NO3}', 'FREENOW {REF}'], price: { median: 19, sigma: 0.55 }, hours: 'taxi', weight: 2 }),
  t({ key: 'fuel', category: 'transport', mccs: ['5541', '5542'], names: ['SHELL {NO4} {CITY}', 'BP {SURNAME} {CITY}', 'ESSO {NO4} {CITY}', 'TOTALENERGIES {NO4}', 'ARAL {CITY}', 'TINQ {CITY}', 'REPSOL {NO4}'], countries: EUROPE, price: { median: 62, sigma: 0.35 }, hours: 'fuel', weight: 3 }),
  t({ key: 'parking', category: 'transport', mccs: ['7523'], names: ['Q-PARK {CITY}', 'PARKMOBILE {REF}', 'EASYPARK {CITY}', 'INTERPARKING {CITY} {NO3}', 'P+R {CITY}'], price: { median: 5, sigma: 0.8 }, hours: 'shop', weight: 1.5 }),
  t({ key: 'micromobility', category: 'transport', mccs: ['4121', '4789'], names: ['LIME*RIDE {REF}', 'FELYX {CITY}', 'TIER {REF}', 'OV-FIETS {CITY}'], price: { median: 4, sigma: 0.5 }, hours: 'commute', weight: 0.8 }),
  t({ key: 'garage', category: 'transport', mccs: ['7538'], names: ['KWIK-FIT {CITY}', 'EUROMASTER {CITY}', 'ATU {NO4} {CITY}', 'AUTOBEDRIJF {SURNAME}'], countries: EUROPE, price: { median: 190, sigma: 0.7 }, hours: 'office', weight: 0.2 }),

  // shopping
  t({ key: 'hema', category: 'shopping', mccs: ['5311'], names: ['HEMA {CITY} {NO3}', 'HEMA BV {NO4}', 'ACTION {NO4} {CITY}', 'BLOKKER {CITY}'], countries: ['NL', 'BE', 'DE', 'FR'], price: { median: 17, sigma: 0.8 }, hours: 'shop', weight: 3 }),
  t({ key: 'fashion', category: 'shopping', mccs: ['5651', '5691', '5621'], names: ['H&M {NO4} {CITY}', 'ZARA {CITY}', 'PRIMARK {CITY}', 'UNIQLO {CITY}', 'C&A {NO3} {CITY}', 'TK MAXX {CITY}'], countries: EUROPE, price: { median: 39, sigma: 0.7 }, hours: 'shop', weight: 3 }),
  t({ key: 'electronics', category: 'shopping', mccs: ['5732'], names: ['MEDIA MARKT {CITY}', 'SATURN {CITY} {NO3}', 'FNAC {CITY}', 'CURRYS {NO4}', 'APPLE STORE {CITY}'], countries: EUROPE, price: { median: 95, sigma: 1.1 }, hours: 'shop', weight: 1 }),
  t({ key: 'ikea', category: 'shopping', mccs: ['5712'], names: ['IKEA {CITY}', 'IKEA {NO3} {CITY}', 'JYSK {CITY}', 'LEEN BAKKER {CITY}'], countries: EUROPE, price: { median: 85, sigma: 1 }, hours: 'shop', weight: 1 }),
  t({ key: 'sports', category: 'shopping', mccs: ['5941', '5655'], names: ['DECATHLON {CITY}', 'INTERSPORT {SURNAME}', 'SPORTS DIRECT {NO4}'], countries: EUROPE, price: { median: 45, sigma: 0.8 }, hours: 'shop' }),
  t({ key: 'drugstore', category: 'shopping', mccs: ['5912', '5977'], names: ['KRUIDVAT {NO4} {CITY}', 'ETOS {NO3} {CITY}', 'DM DROGERIE {NO4}', 'ROSSMANN {NO4} {CITY}', 'DOUGLAS {CITY}', 'BOOTS {NO4}'], countries: EUROPE, price: { median: 13, sigma: 0.7 }, hours: 'shop', weight: 2.5 }),
  t({ key: 'books', category: 'shopping', mccs: ['5942', '5994'], names: ['BRUNA {CITY}', 'AKO {NO3} {CITY}', 'THALIA {CITY}', 'WATERSTONES {CITY}', 'RELAY {CITY}'], price: { median: 12, sigma: 0.7 }, hours: 'shop' }),
  t({ key: 'toys', category: 'shopping', mccs: ['5945', '5719'], names: ['INTERTOYS {CITY}', 'SMYTHS TOYS {CITY}', 'XENOS {CITY}', 'SOSTRENE GRENE {CITY}'], countries: EUROPE, price: { median: 24, sigma: 0.8 }, hours: 'shop', weight: 0.7 }),
  t({ key: 'online-shop', category: 'shopping', mccs: ['5999', '5964', '5942'], names: ['BOL.COM', 'AMAZON.DE*{REF}', 'AMZN MKTP NL*{REF}', 'AMAZON EU SARL', 'ZALANDO SE', 'COOLBLUE BV', 'WEHKAMP', 'ALIEXPRESS.COM'], online: true, price: { median: 34, sigma: 0.9 }, hours: 'online', weight: 3 }),
  t({ key: 'souvenir', category: 'shopping', mccs: ['5947', '5999'], names: ['SOUVENIRS {CITY}', 'BOUTIQUE {WORD} {CITY}', 'GIFT SHOP {WORD}'], price: { median: 22, sigma: 0.8 }, hours: 'shop', weight: 0.5 }),

  // entertainment
  t({ key: 'cinema', category: 'entertainment', mccs: ['7832'], names: ['PATHE {CITY}', 'VUE {CITY}', 'CINEMAXX {CITY}', 'UGC CINE CITE {CITY}', 'KINEPOLIS {CITY}', 'ODEON {CITY}'], price: { median: 15, sigma: 0.5 }, hours: 'evening', weight: 2 }),
  t({ key: 'tickets', category: 'entertainment', mccs: ['7922'], names: ['TICKETMASTER {REF}', 'EVENTIM {REF}', 'PAYLOGIC {REF}', 'SEETICKETS {REF}'], online: true, price: { median: 58, sigma: 0.6 }, hours: 'online', weight: 1.5 }),
  t({ key: 'museum', category: 'entertainment', mccs: ['7991', '7996'], names: ['RIJKSMUSEUM', 'MUSEUM {WORD} {CITY}', 'EFTELING', 'PHANTASIALAND', 'ZOO {CITY}', 'AQUARIUM {CITY}'], price: { median: 24, sigma: 0.5 }, hours: 'shop', weight: 1 }),
  t({ key: 'games', category: 'entertainment', mccs: ['5816', '5815'], names: ['STEAMGAMES.COM {REF}', 'PLAYSTATION NETWORK', 'NINTENDO ESHOP', 'XBOX {REF}'], online: true, price: { median: 22, sigma: 0.7 }, hours: 'evening', weight: 1 }),
  t({ key: 'leisure', category: 'entertainment', mccs: ['7933', '7999', '7941'], names: ['BOWLING {WORD} {CITY}', 'ESCAPE ROOM {WORD}', 'KARTING {CITY}', 'KLIMHAL {CITY}', 'STADION {CITY}'], price: { median: 28, sigma: 0.5 }, hours: 'evening', weight: 1 }),

  // health
  t({ key: 'pharmacy', category: 'health', mccs: ['5912'], names: ['APOTHEEK {WORD} {CITY}', 'APOTHEKE AM {WORD}', 'PHARMACIE {WORD} {CITY}', 'FARMACIA {WORD}', 'PHARMACY {CITY} {NO3}', 'BENU APOTHEEK {CITY}'], price: { median: 15, sigma: 0.7 }, hours: 'shop', weight: 3 }),
  t({ key: 'doctor', category: 'health', mccs: ['8011', '8099'], names: ['HUISARTSENPRAKTIJK {SURNAME}', 'PRAXIS DR {SURNAME}', 'DR {SURNAME} MEDECIN', 'MEDISCH CENTRUM {CITY}', 'LABORATORIUM {CITY}'], price: { median: 48, sigma: 0.6 }, hours: 'office', weight: 1.5 }),
  t({ key: 'dentist', category: 'health', mccs: ['8021'], names: ['TANDARTS {SURNAME}', 'ZAHNARZTPRAXIS {SURNAME}', 'CABINET DENTAIRE {WORD}', 'DENTAL CLINIC {CITY}'], price: { median: 95, sigma: 0.8 }, hours: 'office', weight: 1 }),
  t({ key: 'physio', category: 'health', mccs: ['8049', '8099'], names: ['FYSIOTHERAPIE {CITY}', 'PHYSIOTHERAPIE {SURNAME}', 'KINE {WORD} {CITY}', 'PSYCHOLOGENPRAKTIJK {SURNAME}'], price: { median: 42, sigma: 0.4 }, hours: 'office', weight: 1 }),
  t({ key: 'optician', category: 'health', mccs: ['8043'], names: ['PEARLE {NO3} {CITY}', 'SPECSAVERS {CITY}', 'FIELMANN {NO3} {CITY}', 'HANS ANDERS {CITY}'], countries: EUROPE, price: { median: 110, sigma: 1 }, hours: 'shop', weight: 0.5 }),

  // housing (the recurring rent and mortgage are in users.ts)
  t({ key: 'hardware', category: 'housing', mccs: ['5200', '5211', '5251'], names: ['GAMMA {CITY}', 'PRAXIS {NO3} {CITY}', 'KARWEI {CITY}', 'HORNBACH {CITY}', 'OBI MARKT {NO4}', 'BAUHAUS {CITY}', 'LEROY MERLIN {CITY}', 'BRICO {CITY}', 'B&Q {NO4}'], countries: EUROPE, price: { median: 42, sigma: 0.9 }, hours: 'shop', weight: 3 }),
  t({ key: 'home-services', category: 'housing', mccs: ['1711', '7349', '1799', null], names: ['LOODGIETER {SURNAME}', 'SCHOONMAAKBEDRIJF {WORD}', 'SCHLUESSELDIENST {CITY}', 'INSTALLATEUR {SURNAME}', 'HANDYMAN {SURNAME}'], price: { median: 120, sigma: 0.7 }, hours: 'office', weight: 0.5 }),
  t({ key: 'garden', category: 'housing', mccs: ['5261'], names: ['INTRATUIN {CITY}', 'TUINCENTRUM {WORD}', 'DEHNER {CITY}', 'GARDEN CENTRE {WORD}'], countries: EUROPE, price: { median: 35, sigma: 0.8 }, hours: 'shop', weight: 0.8 }),

  // other
  t({ key: 'atm', category: 'other', mccs: ['6011'], names: ['GELDAUTOMAAT {CITY} {NO3}', 'GELDMAAT {CITY}', 'GELDAUTOMAT {CITY} {NO4}', 'DAB {CITY}', 'ATM {CITY} {NO4}', 'CAJERO {CITY}'], price: { median: 50, sigma: 0, fixed: [20, 50, 50, 100, 100, 200] }, hours: 'shop', weight: 3 }),
  t({ key: 'charity', category: 'other', mccs: ['8398'], names: ['RODE KRUIS', 'UNICEF', 'ARTSEN ZONDER GRENZEN', 'WWF {REF}', 'KWF KANKERBESTRIJDING', 'DEUTSCHES ROTES KREUZ'], online: true, price: { median: 15, sigma: 0.6 }, hours: 'online', weight: 1 }),
  t({ key: 'government', category: 'other', mccs: ['9399', '9311', '9222'], names: ['GEMEENTE {CITY}', 'STADT {CITY} BUERGERAMT', 'RDW {REF}', 'CJIB {REF}', 'MAIRIE {CITY}'], price: { median: 55, sigma: 0.8 }, hours: 'office', weight: 1 }),
  t({ key: 'post', category: 'other', mccs: ['9402', '4215'], names: ['POSTNL {CITY}', 'DHL PAKET {NO4}', 'LA POSTE {CITY}', 'DEUTSCHE POST {NO4}', 'ROYAL MAIL {NO4}'], price: { median: 8, sigma: 0.6 }, hours: 'shop', weight: 1 }),
  t({ key: 'laundry', category: 'other', mccs: ['7210', '7230', '7251'], names: ['KAPSALON {WORD} {CITY}', 'FRISEUR {SURNAME}', 'WASSERETTE {CITY}', 'STOMERIJ {SURNAME}', 'BARBER {WORD}'], price: { median: 26, sigma: 0.5 }, hours: 'shop', weight: 2 }),

  // transfers that are card-initiated
  t({ key: 'money-transfer', category: 'transfers', mccs: ['4829', '6012'], names: ['WISE EUROPE SA', 'REVOLUT**{REF}', 'PAYPAL *TOPUP {REF}', 'WESTERN UNION {NO4}'], online: true, price: { median: 90, sigma: 0.8 }, hours: 'online', weight: 1 }),
];

/** Employers of the salaried users, by the language of their country (the salary line has no MCC). */
export const EMPLOYERS = {
  nl: ['ACME TECHNOLOGIES BV', 'PHILIPS NEDERLAND BV', 'ASML NETHERLANDS BV', 'GEMEENTE {CITY}', 'UMC UTRECHT', 'HOGESCHOOL {CITY}', 'UNIVERSITEIT {CITY}', 'RANDSTAD NEDERLAND', 'TEMPO-TEAM', 'BOOKING.COM BV', 'HEINEKEN NEDERLAND', '{SURNAME} HOLDING BV', 'STICHTING {WORD}', 'PROXIMUS NV', 'KBC BANK NV'],
  de: ['SIEMENS AG', 'BOSCH GMBH', 'SAP SE', 'DEUTSCHE BAHN AG', 'KPMG AG', 'ALLIANZ SE', '{SURNAME} GMBH', 'STADT {CITY}', 'UNIVERSITAET {CITY}', 'ROCHE AG'],
  fr: ['AIRBUS SAS', 'ORANGE SA', '{SURNAME} SARL', 'MAIRIE DE {CITY}', 'LOREAL SA', 'CHU {CITY}'],
  en: ['ACCENTURE LTD', 'DELOITTE LLP', 'BANCO SANTANDER SA', 'ENEL SPA', '{SURNAME} CONSULTING LTD', 'NHS TRUST {CITY}', 'INDITEX SA', 'ERICSSON AB', 'ORLEN SA', '{SURNAME} SP Z O O', 'UNIVERSITY OF {CITY}'],
} as const;

/** Who rent is paid to, by language. */
export const LANDLORDS = {
  nl: ['WONINGSTICHTING {WORD}', 'VESTEDA', 'DE KEY', 'YMERE', 'VERHUUR {SURNAME}', '{INITIAL}. {SURNAME}', 'HOLLAND2STAY'],
  de: ['VONOVIA SE', 'DEUTSCHE WOHNEN', 'HAUSVERWALTUNG {SURNAME}', '{INITIAL}. {SURNAME}'],
  fr: ['FONCIA {CITY}', 'NEXITY', '{INITIAL}. {SURNAME}'],
  en: ['GREYSTAR', '{SURNAME} LETTINGS', '{INITIAL}. {SURNAME}', 'HEIMSTADEN'],
} as const;

/** Mortgage lenders, by language. */
export const MORTGAGE_LENDERS = {
  nl: ['ING HYPOTHEKEN', 'RABOBANK HYPOTHEEK', 'ABN AMRO HYPOTHEKEN', 'OBVION', 'BELFIUS HYPOTHEEK'],
  de: ['COMMERZBANK BAUFINANZIERUNG', 'SPARKASSE {CITY} DARLEHEN', 'INTERHYP'],
  fr: ['CREDIT AGRICOLE PRET', 'BNP PARIBAS PRET IMMO'],
  en: ['NATIONWIDE BS', 'SANTANDER HIPOTECA', 'INTESA SANPAOLO MUTUO', 'BANK OF IRELAND MORTGAGE', 'PKO BP KREDYT'],
} as const;

/** Monthly bills: energy, water, telecom, internet (utilities); insurance and subscriptions. */
export const RECURRING_MERCHANTS = {
  energy: t({ key: 'energy', category: 'utilities', mccs: ['4900', '4900', null], names: ['VATTENFALL KLANTENSERVICE', 'ENECO', 'ESSENT RETAIL', 'GREENCHOICE', 'E.ON ENERGIE DEUTSCHLAND', 'STADTWERKE {CITY}', 'ENBW', 'EDF', 'ENGIE', 'ENDESA ENERGIA', 'ENEL ENERGIA', 'OCTOPUS ENERGY', 'BRITISH GAS', 'LUMINUS'], price: { median: 125, sigma: 0.35 }, hours: 'batch' }),
  water: t({ key: 'water', category: 'utilities', mccs: ['4900', null], names: ['WATERNET', 'VITENS', 'EVIDES', 'BERLINER WASSERBETRIEBE', 'THAMES WATER', 'VEOLIA EAU', 'WATERLINK'], price: { median: 24, sigma: 0.3 }, hours: 'batch' }),
  telecom: t({ key: 'telecom', category: 'utilities', mccs: ['4814', '4814', '4812'], names: ['KPN B.V.', 'VODAFONE LIBERTEL', 'ODIDO NETHERLANDS', 'T-MOBILE', 'TELEKOM DEUTSCHLAND', 'ORANGE FRANCE', 'PROXIMUS', 'MOVISTAR', 'TIM SPA', 'O2 GERMANY', 'BT GROUP'], price: { median: 32, sigma: 0.35 }, hours: 'batch' }),
  internet: t({ key: 'internet', category: 'utilities', mccs: ['4899', '4816'], names: ['ZIGGO SERVICES BV', 'DELTA FIBER', 'VODAFONE KABEL', 'TELENET', 'FREE TELECOM', 'VIRGIN MEDIA'], price: { median: 48, sigma: 0.25 }, hours: 'batch' }),
  healthInsurance: t({ key: 'health-insurance', category: 'health', mccs: ['6300', '6300', null], names: ['ZILVEREN KRUIS', 'CZ ZORGVERZEKERAAR', 'MENZIS', 'VGZ ZORGVERZEKERAAR', 'TECHNIKER KRANKENKASSE', 'AOK {CITY}', 'MUTUELLE {WORD}', 'BUPA'], price: { median: 145, sigma: 0.2 }, hours: 'batch' }),
  homeInsurance: t({ key: 'home-insurance', category: 'housing', mccs: ['6300', null], names: ['CENTRAAL BEHEER', 'INTERPOLIS WOONVERZEKERING', 'ALLIANZ HAUSRAT', 'AXA HABITATION', 'NATIONALE-NEDERLANDEN WONEN'], price: { median: 22, sigma: 0.3 }, hours: 'batch' }),
  hoa: t({ key: 'hoa', category: 'housing', mccs: [null], names: ['VVE {WORD}', 'HAUSVERWALTUNG {SURNAME}', 'SYNDIC {WORD}'], price: { median: 160, sigma: 0.3 }, hours: 'batch' }),
  netflix: t({ key: 'netflix', category: 'entertainment', mccs: ['4899', '5815'], names: ['NETFLIX.COM', 'NETFLIX INTERNATIONAL BV'], online: true, price: { median: 13.99, sigma: 0, fixed: [8.99, 13.99, 17.99] }, hours: 'batch' }),
  spotify: t({ key: 'spotify', category: 'entertainment', mccs: ['5815'], names: ['SPOTIFY P{REF}', 'SPOTIFY AB'], online: true, price: { median: 11.99, sigma: 0, fixed: [11.99, 16.99, 6.99] }, hours: 'batch' }),
  disney: t({ key: 'disney', category: 'entertainment', mccs: ['5815', '4899'], names: ['DISNEY PLUS', 'DISNEYPLUS {REF}', 'VIDEOLAND', 'HBO MAX', 'DAZN'], online: true, price: { median: 9.99, sigma: 0, fixed: [5.99, 9.99, 13.99] }, hours: 'batch' }),
  apple: t({ key: 'apple', category: 'entertainment', mccs: ['5818'], names: ['APPLE.COM/BILL', 'GOOGLE *YOUTUBE', 'GOOGLE *GOOGLE ONE'], online: true, price: { median: 2.99, sigma: 0, fixed: [0.99, 2.99, 9.99, 12.99] }, hours: 'any' }),
  gym: t({ key: 'gym', category: 'entertainment', mccs: ['7997'], names: ['BASIC-FIT {NO4} {CITY}', 'MCFIT {CITY}', 'ANYTIME FITNESS {CITY}', 'SPORTCITY {CITY}', 'PURE GYM {NO3}'], price: { median: 29.99, sigma: 0, fixed: [19.99, 24.99, 29.99, 34.99] }, hours: 'batch' }),
  news: t({ key: 'news', category: 'other', mccs: ['5994', '5968', null], names: ['NRC MEDIA', 'DPG MEDIA', 'SPIEGEL ONLINE', 'LE MONDE ABONNEMENT', 'THE GUARDIAN'], online: true, price: { median: 14, sigma: 0.3 }, hours: 'batch' }),
} as const;

/** Trips: bookings made at home, then spending at the destination. */
export const TRAVEL_MERCHANTS = {
  flight: t({ key: 'flight', category: 'travel', mccs: ['4511', '4511', '3010', '3008', '3007'], names: ['KLM {REF}', 'KLM ROYAL DUTCH AIRLINES', 'TRANSAVIA {REF}', 'RYANAIR {REF}', 'EASYJET {REF}', 'LUFTHANSA {REF}', 'VUELING AIRLINES', 'AIR FRANCE {REF}', 'EUROWINGS'], online: true, price: { median: 190, sigma: 0.6 }, hours: 'online' }),
  hotel: t({ key: 'hotel', category: 'travel', mccs: ['7011', '7011', '3501', '4722'], names: ['HOTEL {WORD} {CITY}', 'NH HOTEL {CITY}', 'IBIS {CITY}', 'BOOKING.COM HOTEL', 'AIRBNB * {REF}', 'MARRIOTT {CITY}', 'HOLIDAY INN {CITY}'], price: { median: 240, sigma: 0.7 }, hours: 'office' }),
  carRental: t({ key: 'car-rental', category: 'travel', mccs: ['7512', '3357'], names: ['HERTZ {CITY}', 'SIXT {CITY} {NO3}', 'EUROPCAR {CITY}', 'AVIS {CITY}'], price: { median: 190, sigma: 0.6 }, hours: 'office' }),
  agency: t({ key: 'agency', category: 'travel', mccs: ['4722'], names: ['TUI NEDERLAND', 'EXPEDIA {REF}', 'SUNWEB', 'CORENDON', 'OPODO {REF}'], online: true, price: { median: 650, sigma: 0.6 }, hours: 'online' }),
  train: t({ key: 'long-train', category: 'travel', mccs: ['4112', '4131'], names: ['EUROSTAR {REF}', 'EUROSTAR INTERNATIONAL', 'FLIXBUS {REF}', 'TRAINLINE {REF}'], online: true, price: { median: 85, sigma: 0.5 }, hours: 'online' }),
} as const;

/** MCCs an account takeover tends to spend on, with the category a clean record of each gets. */
export const RISKY_MCCS: readonly (readonly [string, Category])[] = [
  ['5732', 'shopping'],
  ['5944', 'shopping'],
  ['5999', 'shopping'],
  ['5045', 'shopping'],
  ['6051', 'other'],
  ['4829', 'transfers'],
  ['7995', 'entertainment'],
];

export const RISKY_NAME_WORDS = ['ELECTRONICS', 'JEWELLERS', 'TRADING', 'DIGITAL', 'EXCHANGE', 'GAMES', 'TECH STORE', 'GOLD', 'MOBILE', 'GLOBAL'] as const;

export const SURNAMES = [
  'DE VRIES', 'JANSEN', 'BAKKER', 'VISSER', 'SMIT', 'MEIJER', 'DE BOER', 'MULDER', 'DE GROOT', 'BOS', 'VOS', 'PETERS', 'HENDRIKS',
  'MUELLER', 'SCHMIDT', 'SCHNEIDER', 'FISCHER', 'WEBER', 'WAGNER', 'BECKER', 'HOFFMANN', 'DUBOIS', 'MARTIN', 'BERNARD', 'LEROY',
  'GARCIA', 'FERNANDEZ', 'LOPEZ', 'ROSSI', 'RUSSO', 'BIANCHI', 'MURPHY', 'KELLY', 'SMITH', 'JONES', 'TAYLOR', 'NOWAK',
  'KOWALSKI', 'ANDERSSON', 'JOHANSSON', 'PEETERS', 'JANSSENS', 'MAES', 'CLAES', 'YILMAZ', 'EL AMRANI', 'SILVA', 'SANTOS',
] as const;

export const WORDS = [
  'DE KAS', 'LA PIAZZA', 'ROUGE', 'SAKURA', 'GROEN', 'GOLDEN DRAGON', 'TAJ MAHAL', 'EL TORO', 'IL GIARDINO', 'LE PETIT', 'NORD',
  'ZUID', 'OOST', 'DE ZWAAN', 'HET ANKER', 'DE HOEK', 'CENTRAAL', 'AM MARKT', 'BELLEVUE', 'LA MER', 'DE MOLEN', 'OLIVIA', 'BLAUW',
  'HAVANA', 'LOTUS', 'SOL', 'LUNA', 'KOMPAS', 'PARADISO', 'VICTORIA', 'ROYAL', 'STERN', 'LINDE', 'PLAZA', 'PORTO', 'ATLAS', 'NOVA',
  'FENIX', 'BERGKRISTALL', 'DU PARC', 'MERCATO', 'SAFFRAAN', 'OLIJF', 'KRONE', 'ADLER', 'HIRSCH', 'SONNE', 'DE PAUW',
] as const;

/** Free text people put on transfers to each other. */
export const TRANSFER_NOTES = [
  'Terugbetaling', 'Bedankt!', 'Etentje zaterdag', 'Verjaardagscadeau', 'Huur garage', 'Boodschappen', 'Thanks for dinner',
  'Concert tickets', 'Weekend away', 'Split bill', 'Zakgeld', 'Gift', 'Danke', 'Fuer die Tickets', 'Merci', 'Vakantie', 'Tikkie',
] as const;

export const CARD_NOTES = {
  nl: ['BEA, BETAALPAS', 'BEA, APPLE PAY', 'BEA, GOOGLE PAY', 'BETAALPAS NR {NO3}'],
  de: ['KARTENZAHLUNG', 'GIROCARD {NO4}', 'VISA DEBIT', 'APPLE PAY'],
  fr: ['PAIEMENT CB', 'CARTE {NO4}', 'PAIEMENT SANS CONTACT'],
  en: ['CARD PAYMENT', 'CONTACTLESS', 'VISA DEBIT {NO4}', 'APPLE PAY'],
} as const;

export const DEBIT_NOTES = {
  nl: 'INCASSO',
  de: 'SEPA-LASTSCHRIFT',
  fr: 'PRELEVEMENT SEPA',
  en: 'DIRECT DEBIT',
} as const;

export const SALARY_NOTES = { nl: 'SALARIS', de: 'GEHALT', fr: 'SALAIRE', en: 'SALARY' } as const;
export const RENT_NOTES = { nl: 'HUUR', de: 'MIETE', fr: 'LOYER', en: 'RENT' } as const;
export const MORTGAGE_NOTES = { nl: 'HYPOTHEEK', de: 'DARLEHEN RATE', fr: 'ECHEANCE PRET', en: 'MORTGAGE' } as const;
export const REFUND_NOTES = ['REFUND', 'RETOUR', 'TERUGBETALING', 'GUTSCHRIFT', 'REMBOURSEMENT', 'CREDIT VOUCHER'] as const;

/** Other money coming in, occasionally. */
export const OTHER_INCOME = [
  { name: 'BELASTINGDIENST', note: 'TERUGGAAF {YEAR}', median: 420 },
  { name: 'FINANZAMT {CITY}', note: 'ERSTATTUNG EST {YEAR}', median: 610 },
  { name: 'SVB KINDERBIJSLAG', note: 'KINDERBIJSLAG', median: 290 },
  { name: 'FAMILIENKASSE', note: 'KINDERGELD', median: 255 },
  { name: 'UWV', note: 'UITKERING', median: 900 },
  { name: 'DIVIDEND {WORD} NV', note: 'DIVIDEND', median: 75 },
  { name: 'RENTE SPAARREKENING', note: 'RENTE', median: 18 },
] as const;

export const SAVINGS_ACCOUNTS = ['SPAARREKENING', 'ORANJE SPAARREKENING', 'TAGESGELDKONTO', 'SAVINGS ACCOUNT', 'LIVRET A', 'BEWAAR REKENING'] as const;

/** How often (per user and day) each daily category is drawn; weekends shift spending to leisure. */
export const DAILY_RATES: Readonly<Record<string, { readonly weekday: number; readonly weekend: number }>> = {
  groceries: { weekday: 0.45, weekend: 0.6 },
  dining: { weekday: 0.3, weekend: 0.5 },
  transport: { weekday: 0.38, weekend: 0.2 },
  shopping: { weekday: 0.14, weekend: 0.3 },
  entertainment: { weekday: 0.05, weekend: 0.14 },
  health: { weekday: 0.05, weekend: 0.02 },
  housing: { weekday: 0.025, weekend: 0.07 },
  other: { weekday: 0.07, weekend: 0.05 },
  transfers: { weekday: 0.02, weekend: 0.02 },
};

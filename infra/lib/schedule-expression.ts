/**
 * EventBridge Scheduler's schedule expressions, checked as the service checks them so a bad one
 * stops `preview` instead of failing half way through `up`: `rate(value unit)` with a positive
 * whole value and a unit that is singular for 1 and plural otherwise (`rate(1 hours)` is refused),
 * `cron(minutes hours day-of-month month day-of-week year)` with six fields in range and exactly
 * one of the two day fields `?`, and the one-time `at(yyyy-mm-ddThh:mm:ss)`.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names that stand for 1, 2, ... (JAN-DEC, SUN-SAT). */
  readonly names?: readonly string[];
  /** `?` allowed (the two day fields only). */
  readonly any?: boolean;
  /** A single item this field also accepts beside numbers and ranges (`L`, `15W`, `6L`, `3#2`). */
  readonly special?: RegExp;
}

const FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, any: true, special: /^(L|LW|L-([1-9]|[12]\d|30)|([1-9]|[12]\d|3[01])W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, any: true, special: /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$|^L$/ },
  { name: 'year', min: 1970, max: 2199 },
];

function value(field: CronField, text: string): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase());
  if (named !== undefined && named >= 0) return named + 1;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

/** Why one item of a cron field (`5`, `1-15`, `*\/10`, `MON-FRI`, `L`) is not valid, or undefined. */
function itemProblem(field: CronField, item: string): string | undefined {
  if (field.special?.test(item.toUpperCase()) === true) return undefined;
  const [range, step, extra] = item.split('/');
  if (extra !== undefined || range === undefined || range === '') return `'${item}' is not a value, range or increment`;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) return `'${item}' has an increment that is not a positive whole number`;
  if (range === '*') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2 || bounds.some((b) => value(field, b) === undefined)) {
    const names = field.names === undefined ? '' : ` or ${field.names[0]}-${field.names[field.names.length - 1]}`;
    return `'${item}' is outside ${field.min}-${field.max}${names}`;
  }
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) return `a cron expression has six fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`;
  for (const [index, field] of FIELDS.entries()) {
    const text = parts[index] ?? '';
    if (text === '?') {
      if (field.any !== true) return `'?' is allowed only in day-of-month or day-of-week, not in ${field.name}`;
      continue;
    }
    for (const item of text.split(',')) {
      const problem = itemProblem(field, item);
      if (problem !== undefined) return `${field.name} ${problem}`;
    }
  }
  const [dayOfMonth, dayOfWeek] = [parts[2], parts[4]];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) return 'exactly one of day-of-month and day-of-week must be ?, the other names the days';
  return undefined;
}

function atProblem(match: RegExpExecArray): string | undefined {
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const same = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  return same ? undefined : 'at(...) names a date or time that does not exist';
}

/** Why EventBridge Scheduler would refuse an expression, or undefined when it accepts it. */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate !== null) {
    const amount = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (amount < 1) return 'a rate needs a positive value';
    const plural = unit.endsWith('s');
    if (amount === 1 && plural) return `the unit of rate(1 ...) is singular: rate(1 ${unit.slice(0, -1)})`;
    if (amount > 1 && !plural) return `the unit of rate(${amount} ...) is plural: rate(${amount} ${unit}s)`;
    return undefined;
  }
  if (expression.startsWith('rate(')) return 'a rate is rate(<whole number> minute|minutes|hour|hours|day|days)';
  const cron = CRON.exec(expression);
  if (cron !== null) return cronProblem(cron[1] ?? '');
  const at = AT.exec(expression);
  if (at !== null) return atProblem(at);
  return 'must be rate(value unit), cron(six fields) or at(yyyy-mm-ddThh:mm:ss), like rate(1 hour) or cron(15 * * * ? *)';
}

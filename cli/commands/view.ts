import { Command, InvalidArgumentError } from 'commander';
import { readState } from '../../local/env/state.js';
import { roleCredentialVariables } from '../../local/env/front/identities.js';
import type { KeptEnvState } from '../../local/env/state.js';
import { createDynamoDbClient } from '../../shared/aws/clients.js';
import { tableName } from '../../shared/catalog.js';
import { InsightsQuery, MAX_RECENT_LIMIT } from '../../workers/api/insights-query.js';
import type { UserInsights } from '../../workers/api/insights-query.js';
import { isMonth } from '../../shared/view/months.js';
import { output } from '../progress.js';

export interface ViewFlags {
  json?: boolean;
  month?: string;
  limit?: number;
  stack?: string;
}

/** Which view table to read, and the environment (endpoints, region, keys) to reach it with. */
export interface ViewTarget {
  readonly tableName: string;
  readonly env: NodeJS.ProcessEnv;
  /** How the table was found, for messages. */
  readonly source: string;
}

const ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB'] as const;

/**
 * Finds the view table: `--stack` names it from the catalog (reached through the endpoint
 * variables, else through a kept local environment of that stack, else AWS); without it
 * `VIEW_TABLE_NAME` from the environment; else the kept local environment in `.local/env.json`.
 */
export function resolveViewTarget(flags: Pick<ViewFlags, 'stack'>, processEnv: NodeJS.ProcessEnv = process.env, state: KeptEnvState | undefined = readState()): ViewTarget {
  const hasEndpoint = ENDPOINT_VARIABLES.some((key) => (processEnv[key] ?? '') !== '');
  if (flags.stack !== undefined) {
    const fromState = !hasEndpoint && state?.stack === flags.stack;
    return { tableName: tableName(flags.stack, 'view'), env: fromState ? { ...processEnv, ...state.env, ...roleCredentialVariables(state.stack, 'api') } : processEnv, source: `stack '${flags.stack}'${fromState ? ' (kept local environment)' : ''}` };
  }
  const fromEnv = processEnv['VIEW_TABLE_NAME'];
  if (fromEnv !== undefined && fromEnv !== '') return { tableName: fromEnv, env: processEnv, source: 'VIEW_TABLE_NAME' };
  if (state !== undefined) {
    // Locally the command reads as the api role, so the fronts hold it to the read API's grants.
    return { tableName: state.workerEnv['VIEW_TABLE_NAME'] ?? tableName(state.stack, 'view'), env: { ...processEnv, ...state.env, ...roleCredentialVariables(state.stack, 'api') }, source: `kept local environment (stack '${state.stack}')` };
  }
  throw new Error("no view table: set VIEW_TABLE_NAME (and AWS_ENDPOINT_URL for an emulator), pass --stack NAME, or keep a local environment running with 'insights local env up --keep'");
}

function pad(value: string, width: number, right = false): string {
  return right ? value.padStart(width) : value.padEnd(width);
}

function money(value: string, currency: string): string {
  return `${value} ${currency}`;
}

/** The readable rendering of a user's insights: month totals, recent transactions, anomalies. */
export function formatInsights(insights: UserInsights): string {
  const lines: string[] = [`Insights for ${insights.userId} (generated ${insights.generatedAt})`, ''];
  lines.push('Month totals by category');
  for (const month of insights.months) {
    lines.push(`  ${month.month}`);
    if (month.totals.length === 0) lines.push('    (no transactions)');
    for (const total of month.totals) {
      lines.push(`    ${pad(total.category, 14)} ${pad(money(total.sum.value, total.currency), 18, true)} ${pad(String(total.count), 5, true)} txn`);
    }
  }
  lines.push('', `Recent transactions (${insights.recent.length}, newest first)`);
  lines.push(`  ${pad('booked at', 26)} ${pad('amount', 18, true)}  ${pad('category', 14)} ${pad('p', 4, true)} ${pad('anomaly', 7, true)}  merchant`);
  for (const txn of insights.recent) {
    const flag = txn.isAnomaly ? '!' : ' ';
    lines.push(`  ${pad(txn.bookedAt, 26)} ${pad(money(txn.amount.value, txn.amount.currency), 18, true)}  ${pad(txn.category, 14)} ${pad(txn.categoryScore.toFixed(2), 4, true)} ${pad(txn.anomalyScore.toFixed(2), 6, true)}${flag}  ${txn.merchant.name}`);
  }
  if (insights.recent.length > 0) lines.push("  (p: the categoriser's probability for the category; anomaly: the anomaly model's score, ! where flagged)");
  lines.push('', `Flagged anomalies (${insights.anomalies.length})`);
  if (insights.anomalies.length === 0) lines.push('  (none)');
  for (const anomaly of insights.anomalies) {
    lines.push(`  ${pad(anomaly.bookedAt, 26)} ${pad(money(anomaly.amount.value, anomaly.amount.currency), 18, true)}  ${pad(anomaly.category, 14)} ${pad(anomaly.anomalyScore.toFixed(2), 4, true)}  ${anomaly.merchant.name}`);
  }
  return lines.join('\n');
}

async function view(userId: string, flags: ViewFlags): Promise<void> {
  const target = resolveViewTarget(flags);
  const key = target.env['AWS_ACCESS_KEY_ID'];
  const secret = target.env['AWS_SECRET_ACCESS_KEY'];
  // Keys from a kept environment's state are not in process.env, where the SDK's chain looks.
  const dynamodb = createDynamoDbClient({ env: target.env, ...(key !== undefined && secret !== undefined ? { credentials: { accessKeyId: key, secretAccessKey: secret } } : {}) });
  try {
    const insights = await new InsightsQuery({ dynamodb, tableName: target.tableName, consistentRead: true }).get({
      userId,
      ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      ...(flags.month === undefined ? {} : { month: flags.month }),
    });
    if (insights === undefined) throw new Error(`no insights for user '${userId}' in ${target.tableName} (${target.source})`);
    output(flags.json === true, insights, () => console.log(formatInsights(insights)));
  } finally {
    dynamodb.destroy();
  }
}

function limit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_RECENT_LIMIT) throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_RECENT_LIMIT}`);
  return n;
}

function month(value: string): string {
  if (!isMonth(value)) throw new InvalidArgumentError('must be YYYY-MM');
  return value;
}

/** `insights view USER_ID [--json] [--month YYYY-MM] [--limit N] [--stack NAME]`. */
export function viewCommand(): Command {
  return new Command('view')
    .description("show a user's insights from the view: recent scored transactions, month totals by category, flagged anomalies")
    .argument('<userId>', 'the user whose insights to show')
    .option('--json', 'print the insights as JSON')
    .option('--month <YYYY-MM>', 'totals of this month (default: the current and previous months)', month)
    .option('--limit <n>', 'recent transactions to show (default 20)', limit)
    .option('--stack <name>', "read this stack's view table (default: VIEW_TABLE_NAME, else the kept local environment)")
    .action((userId: string, flags: ViewFlags) => view(userId, flags));
}

import { expect } from 'chai';
import { scheduleExpressionProblem } from '../../infra/lib/schedule-expression.js';

describe('Function: scheduleExpressionProblem', () => {
  it('accepts the rate, cron and at expressions EventBridge Scheduler accepts', () => {
    // Prepare
    const accepted = [
      'rate(1 minute)',
      'rate(5 minutes)',
      'rate(1 hour)',
      'rate(6 hours)',
      'rate(1 day)',
      'cron(15 * * * ? *)',
      'cron(0 12 ? * MON-FRI *)',
      'cron(0/15 8-17 ? * 2-6 *)',
      'cron(0 0 L * ? *)',
      'cron(0 0 15W * ? 2027-2030)',
      'cron(0 9 ? JAN,JUL 3#2 *)',
      'cron(30 23 ? * 6L *)',
      'at(2027-02-28T23:59:00)',
    ];

    // Act
    const problems = accepted.map((expression) => [expression, scheduleExpressionProblem(expression)]);

    // Assess
    expect(problems.filter(([, problem]) => problem !== undefined)).to.deep.equal([]);
  });

  const refused: readonly (readonly [string, RegExp])[] = [
    ['rate(1 hours)', /singular: rate\(1 hour\)/],
    ['rate(5 hour)', /plural: rate\(5 hours\)/],
    ['rate(0 minutes)', /positive/],
    ['rate(1 week)', /rate\(<whole number>/],
    ['rate(1.5 hours)', /rate\(<whole number>/],
    ['cron(15 * * * *)', /six fields .* got 5/],
    ['cron(15 * * * * *)', /exactly one of day-of-month and day-of-week/],
    ['cron(15 * ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(60 * * * ? *)', /minutes '60' is outside 0-59/],
    ['cron(0 24 * * ? *)', /hours '24' is outside 0-23/],
    ['cron(0 0 32 * ? *)', /day-of-month '32' is outside 1-31/],
    ['cron(0 0 ? 13 MON *)', /month '13' is outside 1-12 or JAN-DEC/],
    ['cron(0 0 ? * 8 *)', /day-of-week '8' is outside 1-7 or SUN-SAT/],
    ['cron(0 0 1 * ? 1969)', /year '1969' is outside 1970-2199/],
    ['cron(? 0 1 * ? *)', /'\?' is allowed only in day-of-month or day-of-week/],
    ['cron(0/0 * ? * MON *)', /increment that is not a positive whole number/],
    ['at(2027-02-29T10:00:00)', /does not exist/],
    ['hourly', /must be rate\(value unit\), cron\(six fields\) or at/],
  ];
  for (const [expression, says] of refused) {
    it(`refuses ${expression}`, () => {
      expect(scheduleExpressionProblem(expression)).to.match(says);
    });
  }
});

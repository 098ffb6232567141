/** A valid broker transaction object; override any field to make a specific bad one. */
export function brokerTransaction(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transactionId: 'tx-0001',
    userId: 'user-1',
    accountId: 'acc-1',
    bookedAt: '2026-11-20T10:15:00+01:00',
    amount: { value: '-12.50', currency: 'EUR' },
    merchant: { name: 'ALBERT HEIJN 1234 AMSTERDAM', mcc: '5411' },
    description: 'groceries',
    ...overrides,
  };
}

export function brokerLine(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(brokerTransaction(overrides));
}

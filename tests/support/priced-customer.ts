import { PriceRowsSchema } from '../../src/pricing/index.js'
import { SETUP_AUDIT } from './admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from './billing-fixtures.js'
import { buildTestApp, TEST_MASTER_KEY } from './test-app.js'
import type { TestDb } from './test-db.js'

/** 1 micro per input token, 2 per output token, for every mock model. */
export const MOCK_PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])

/**
 * Before a real `ferry start` runs on `testDb`: publish MOCK_PRICES, create an organization
 * with a live key and fund it (1,000.00, the largest credit without an approval), then close
 * the setup app so the process owns the database alone.
 */
export async function preparePricedCustomer(
  testDb: TestDb,
  options: { keyName: string },
): Promise<{ organizationId: string; secret: string; fundsMicros: bigint }> {
  const fundsMicros = 1_000_000_000n
  const built = buildTestApp({ db: testDb.db, masterKey: TEST_MASTER_KEY })
  const admin = built.services.admin
  await admin.pricing.publish(SETUP_AUDIT, { rows: MOCK_PRICES })
  const { organizationId } = await admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
  const { secret } = await admin.keys.create(SETUP_AUDIT, {
    organizationId,
    name: options.keyName,
    environment: 'live',
  })
  await admin.billing.credit(SETUP_BILLING_ACTOR, {
    organizationId,
    environment: 'live',
    amountMicros: fundsMicros,
    category: 'paid',
    idempotencyKey: idempotencyKey(options.keyName),
  })
  await built.app.close()
  return { organizationId, secret, fundsMicros }
}

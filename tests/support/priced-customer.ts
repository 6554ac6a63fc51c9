import { PriceRowsSchema, type PriceRow } from '../../src/pricing/index.js'
import { SETUP_AUDIT } from './admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from './billing-fixtures.js'
import { buildTestApp, TEST_MASTER_KEY } from './test-app.js'
import type { TestDb } from './test-db.js'

/** 1 micro per input token, 2 per output token, for every mock model. */
export const MOCK_PRICES = PriceRowsSchema.parse([
  { providerKind: 'mock', model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])

/** The same prices for every model of every provider (suites with real-wire mock upstreams). */
export const ANY_PROVIDER_PRICES = PriceRowsSchema.parse([
  { model: '*', inputMicrosPer1M: '1000000', outputMicrosPer1M: '2000000' },
])

export interface PricedCustomer {
  organizationId: string
  secret: string
  fundsMicros: bigint
}

type AdminServices = ReturnType<typeof buildTestApp>['services']['admin']

/**
 * Publish `prices` (MOCK_PRICES by default), create an organization with a live key and fund it
 * (1,000.00, the largest credit without an approval), through the admin services of a built app.
 */
export async function setUpPricedCustomer(
  admin: AdminServices,
  options: { keyName: string; prices?: readonly PriceRow[] },
): Promise<PricedCustomer> {
  const fundsMicros = 1_000_000_000n
  await admin.pricing.publish(SETUP_AUDIT, { rows: options.prices ?? MOCK_PRICES })
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
  return { organizationId, secret, fundsMicros }
}

/**
 * Before a real `ferry start` runs on `testDb`: set up a priced customer (see
 * setUpPricedCustomer), then close the setup app so the process owns the database alone.
 */
export async function preparePricedCustomer(
  testDb: TestDb,
  options: { keyName: string; prices?: readonly PriceRow[] },
): Promise<PricedCustomer> {
  const built = buildTestApp({ db: testDb.db, masterKey: TEST_MASTER_KEY })
  const customer = await setUpPricedCustomer(built.services.admin, options)
  await built.app.close()
  return customer
}

import type { AdminServices } from '../../admins/index.js'
import type { AuditService } from '../../audit/index.js'
import type { KeysService } from '../../keys/index.js'
import type { OrganizationsService } from '../../organizations/index.js'
import type { ProviderAccountsService } from '../../provider-accounts/index.js'

/** Every service an admin route handler may call, built once by the composition root. */
export interface AdminApiServices extends AdminServices {
  organizations: OrganizationsService
  keys: KeysService
  audit: AuditService
  providerAccounts: ProviderAccountsService
}

import type { Db } from './database.js'

export async function findSetting(db: Db, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst()
  return row?.value
}

/** Insert the value unless one is already stored; return what is stored afterwards. */
export async function insertSettingIfAbsent(
  db: Db,
  setting: { name: string; value: string; updatedAt: string },
): Promise<string> {
  await db
    .insertInto('settings')
    .values({ name: setting.name, value: setting.value, updated_at: setting.updatedAt })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  return (await findSetting(db, setting.name)) ?? setting.value
}

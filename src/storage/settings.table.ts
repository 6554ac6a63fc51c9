/** `settings`: small named values Ferry keeps for itself (master-key fingerprint, change counters). */
export interface SettingsTable {
  name: string
  value: string
  updated_at: string
}

import SqliteDatabase from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { withStatementCache } from './sqlite-statement-cache.js'

describe('withStatementCache', () => {
  let sqlite: SqliteDatabase.Database | undefined
  const open = () => {
    sqlite = new SqliteDatabase(':memory:')
    sqlite.exec('create table t (id integer primary key, name text)')
    sqlite.exec("insert into t (name) values ('a'), ('b')")
    return sqlite
  }
  afterEach(() => {
    if (sqlite?.open) sqlite.close()
  })

  it('prepares a statement once and hands the same one out again', () => {
    const db = withStatementCache(open())
    const first = db.prepare('select name from t order by id')
    expect(db.prepare('select name from t order by id')).toBe(first)
    expect(db.prepare('select name from t order by id desc')).not.toBe(first)
    expect(first.all([])).toEqual([{ name: 'a' }, { name: 'b' }])
  })

  it('never shares a statement that is still being iterated', () => {
    const db = withStatementCache(open())
    const sql = 'select name from t order by id'
    const iterating = db.prepare(sql)
    const rows = iterating.iterate([])
    expect(rows.next().value).toEqual({ name: 'a' })
    const other = db.prepare(sql)
    expect(other).not.toBe(iterating)
    expect(other.all([])).toEqual([{ name: 'a' }, { name: 'b' }])
    rows.return?.()
    expect(db.prepare(sql)).toBe(iterating)
  })

  it('keeps at most the given number of statements, dropping the least recently used', () => {
    const db = withStatementCache(open(), 2)
    const a = db.prepare('select 1')
    const b = db.prepare('select 2')
    expect(db.prepare('select 1')).toBe(a)
    db.prepare('select 3')
    expect(db.prepare('select 1')).toBe(a)
    expect(db.prepare('select 2')).not.toBe(b)
  })

  it('sees a schema change made after the statement was kept', () => {
    const raw = open()
    const db = withStatementCache(raw)
    expect(db.prepare('select * from t where id = ?').all([1])).toEqual([{ id: 1, name: 'a' }])
    raw.exec("alter table t add column note text not null default 'n'")
    expect(db.prepare('select * from t where id = ?').all([1])).toEqual([
      { id: 1, name: 'a', note: 'n' },
    ])
  })

  it('closes the connection', () => {
    const raw = open()
    withStatementCache(raw).close()
    expect(raw.open).toBe(false)
  })
})

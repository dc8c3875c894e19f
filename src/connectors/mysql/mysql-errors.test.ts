import { describe, expect, test } from 'vitest'
import { RecordError } from '../../core/errors.js'
import { columnOf, queryError } from './mysql-errors.js'

describe('errors', () => {
  test('the column a server message names', () => {
    expect(columnOf("Incorrect integer value: 'abc' for column `db`.`t`.`n` at row 1")).toBe('n')
    expect(columnOf("Data too long for column 'v' at row 3")).toBe('v')
    expect(columnOf("Out of range value for column 'a' at row 1")).toBe('a')
    expect(columnOf("Column 'a' cannot be null")).toBe('a')
    expect(columnOf('CONSTRAINT `t.j` failed for `db`.`t`')).toBe('j')
    expect(columnOf("Invalid JSON text: \"Invalid value.\" at position 1 in value for column 't.j'.")).toBe('j')
    expect(columnOf("Duplicate entry '1' for key 'PRIMARY'")).toBeUndefined()
  })

  test('server errors by number: values are RecordErrors, locks transient, missing tables config errors', () => {
    const server = (errno: number, message: string) => Object.assign(new Error(message), { errno, sqlMessage: message, code: 'X' })
    const value = queryError(server(1366, "Incorrect integer value: 'abc' for column `db`.`t`.`n` at row 1"), 'writing db.t')
    expect(value).toBeInstanceOf(RecordError)
    expect(value).toMatchObject({ code: 'mysql.value_rejected', column: 'n' })
    expect(value.message).toBe("writing db.t: Incorrect integer value: 'abc' for column `db`.`t`.`n` at row 1")
    expect(queryError(server(1213, 'Deadlock found'), 'w')).toMatchObject({ name: 'TransientError', code: 'mysql.deadlock' })
    expect(queryError(server(1205, 'Lock wait timeout exceeded'), 'w')).toMatchObject({ name: 'TransientError', code: 'mysql.lock_timeout' })
    expect(queryError(server(1146, "Table 'db.nope' doesn't exist"), 'query')).toMatchObject({ name: 'ConfigError', code: 'mysql.unknown_table', message: 'query: table db.nope does not exist' })
    expect(queryError(server(1054, "Unknown column 'nmae' in 'field list'"), 'query')).toMatchObject({ name: 'ConfigError', code: 'mysql.unknown_column', message: 'query: unknown column nmae (in field list)' })
    expect(queryError(server(1062, "Duplicate entry '1' for key 'PRIMARY'"), 'w')).toMatchObject({ name: 'RecordError', code: 'mysql.duplicate_key' })
    expect(queryError(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }), 'reading rows')).toMatchObject({ name: 'TransientError', code: 'mysql.connection_lost' })
  })
})

import { describe, expect, test } from 'vitest'
import { FatalError } from '../../../core/errors.js'
import { lsnText, lsnValue, normalLsn, parseStoredPosition, positionJson } from './replication-position.js'

describe('replication positions', () => {
  test('LSNs as numbers and back, as PostgreSQL prints them', () => {
    expect(lsnValue('0/0')).toBe(0n)
    expect(lsnValue('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n)
    expect(lsnText(lsnValue('16/B374D848')!)).toBe('16/B374D848')
    expect(normalLsn('00000000/016B3748')).toBe('0/16B3748')
    expect(lsnValue('16B374D848')).toBeUndefined()
    expect(lsnValue('0/123456789')).toBeUndefined()
  })

  test('positions are stored with skip only when not 0', () => {
    expect(positionJson('0/16B3748', 0)).toEqual({ lsn: '0/16B3748' })
    expect(positionJson('0/16B3748', 3)).toEqual({ lsn: '0/16B3748', skip: 3 })
  })

  test('a stored position is checked', () => {
    expect(parseStoredPosition({ lsn: '0/16b3748', skip: 2 })).toEqual({ lsn: '0/16B3748', skip: 2 })
    expect(parseStoredPosition({ lsn: '0/16B3748', skip: 0 })).toEqual({ lsn: '0/16B3748' })
    for (const bad of [null, 'x', [], { lsn: 'nope' }, { lsn: '0/1', skip: -1 }, { lsn: '0/1', file: 'binlog.000001' }, { file: 'binlog.000001', offset: 4 }]) {
      expect(() => parseStoredPosition(bad)).toThrow(FatalError)
    }
    expect(() => parseStoredPosition({ file: 'x' })).toThrow(expect.objectContaining({ code: 'postgresql_cdc.position_invalid' }))
  })
})

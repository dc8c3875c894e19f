import { describe, expect, test } from 'vitest'
import { FatalError } from '../../../core/errors.js'
import { changePosition, gtidFlavour, parseStoredPosition, positionJson, positionLabel, withSkip } from './binlog-position.js'

describe('binlog positions', () => {
  test('a change position is the boundary with the changes delivered, in JSON without empty fields', () => {
    const boundary = { file: 'binlog.000002', offset: 1187, gtid: '0-1-5' }
    expect(changePosition(boundary, 3)).toEqual({ file: 'binlog.000002', offset: 1187, gtid: '0-1-5', skip: 3 })
    expect(changePosition(boundary, 0)).toEqual({ file: 'binlog.000002', offset: 1187, gtid: '0-1-5' })
    expect(changePosition({ file: 'b.1', offset: 4 }, 2)).toEqual({ file: 'b.1', offset: 4, skip: 2 })
    expect(changePosition({ gtid: '0-1-9' }, 1)).toEqual({ gtid: '0-1-9', skip: 1 })
    expect(positionJson(withSkip(boundary, 0))).toEqual(boundary)
    expect(JSON.stringify(positionJson(withSkip({ file: 'b.1', offset: 4 }, 5)))).toBe('{"file":"b.1","offset":4,"skip":5}')
  })

  test('labels name the GTID, else the file and offset', () => {
    expect(positionLabel({ file: 'b.1', offset: 4, gtid: '0-1-5', skip: 2 })).toBe('GTID 0-1-5 (+2 changes)')
    expect(positionLabel({ file: 'b.1', offset: 4 })).toBe('b.1:4')
  })

  test('a stored position is checked: what this input wrote passes, anything else is mysql_cdc.position_invalid', () => {
    expect(parseStoredPosition({ file: 'b.1', offset: 4, gtid: '0-1-5', skip: 2 })).toMatchObject({ file: 'b.1', offset: 4, gtid: '0-1-5', skip: 2 })
    expect(parseStoredPosition({ gtid: '0-1-5' })).toMatchObject({ gtid: '0-1-5' })
    for (const bad of [null, 'b.1:4', [1], { file: 'b.1' }, { offset: 4 }, { file: 'b.1', offset: 1 }, { file: 'b.1', offset: 4, skip: -1 }, { next: 5 }, {}]) {
      expect(() => parseStoredPosition(bad), JSON.stringify(bad)).toThrow(FatalError)
      expect(() => parseStoredPosition(bad)).toThrow(expect.objectContaining({ code: 'mysql_cdc.position_invalid' }))
    }
  })

  test('GTID texts tell their server: MariaDB positions have no colon, MySQL sets do', () => {
    expect(gtidFlavour('0-1-1234')).toBe('mariadb')
    expect(gtidFlavour('0-1-1234,1-2-7')).toBe('mariadb')
    expect(gtidFlavour('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-27')).toBe('mysql')
    expect(gtidFlavour('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3')).toBe('mysql')
    expect(gtidFlavour('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:tag_a:1')).toBe('mysql')
    expect(gtidFlavour('latest')).toBeUndefined()
    expect(gtidFlavour('0-1')).toBeUndefined()
  })
})

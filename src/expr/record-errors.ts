/**
 * The RecordErrors an expression raises while evaluating one row (the engine sends the row to the
 * dead-letter output, invariant 3). Each names the part of the expression that failed, quoted, so
 * that a user can find it in a long transform: `division by zero in "amount / quantity"`.
 */
import { RecordError } from '../core/errors.js'

const MAX_PART_LENGTH = 80

function quote(part: string): string {
  const text = part.length > MAX_PART_LENGTH ? `${part.slice(0, MAX_PART_LENGTH - 3)}...` : part
  return `"${text}"`
}

/** `expr.overflow`: an int, bigint or date result outside its type's range. */
export function throwOverflow(type: string, part: string): never {
  throw new RecordError('expr.overflow', `${type} out of range in ${quote(part)}`)
}

/** `expr.division_by_zero`: `/`, `%`, MOD and DIV by zero, for every number type. */
export function throwDivisionByZero(part: string): never {
  throw new RecordError('expr.division_by_zero', `division by zero in ${quote(part)}`)
}

/** `expr.invalid_argument`: a function argument with a value the function cannot take. */
export function throwInvalidArgument(message: string, part: string): never {
  throw new RecordError('expr.invalid_argument', `${message} in ${quote(part)}`)
}

/** `value.invalid`: text that does not read as the value a function needs (DATE_PARSE). */
export function throwInvalidValue(message: string, part: string): never {
  throw new RecordError('value.invalid', `${message} in ${quote(part)}`)
}

/** Re-throws a RecordError from core (a failed conversion) with the expression part added. */
export function rethrowInPart(error: unknown, part: string): never {
  if (error instanceof RecordError) {
    throw new RecordError(error.code, `${error.message} in ${quote(part)}`, { column: error.column, cause: error })
  }
  throw error
}

/**
 * docs/errors.md lists every error code Fustor raises, and only those (STYLE.md "Errors are part of
 * the interface"). The codes are read from the source with the TypeScript compiler, so that calls
 * split over lines, imported-under-another-name classes, subclasses and helpers that take the code
 * as a parameter are all seen.
 *
 * Where codes come from:
 * - A code parameter is the `code` of FustorError's constructor, and any parameter of a function,
 *   method or constructor in src/ that is passed as is where a code is expected: ConfigError's
 *   constructor (it calls `super(code, ...)`), the expression checker's `error(code, ...)`, and any
 *   helper written later. A `code: string` parameter of a signature without a body (an interface
 *   method, a function type) counts too, since calls through it cannot be followed further.
 * - Every `new`, `super(...)` or call in a non-test .ts file under src/ that passes a code parameter
 *   must pass a plain string literal ('csv.malformed'). That literal is a code, raised with the kind
 *   of the error class the call builds. Anything else (a variable, a template literal, `error.code`,
 *   the parameter of a callback) fails this test unless DYNAMIC_CODES lists it, with the reason.
 *
 * The doc format: a code is documented by a markdown table row whose first cell is the code in
 * backticks and whose second cell names its kind or kinds (ConfigError, RecordError, TransientError,
 * FatalError):
 *
 *   | `csv.malformed` | RecordError | what it means | what to do |
 *
 * Each code has exactly one row, and its kinds must be those the source raises it as. Rows for the
 * codes errorCode() derives (`system.<errno>`, `internal`) are checked against src/core/errors.ts.
 * A failure lists the codes to add (as row skeletons, with where they are raised) or to remove.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DOC = 'docs/errors.md'
const ERRORS_FILE = 'src/core/errors.ts'
const CODE_PATTERN = /^[a-z_]+(\.[a-z_]+)+$/
const KINDS = ['ConfigError', 'RecordError', 'TransientError', 'FatalError', 'FustorError'] as const
type Kind = (typeof KINDS)[number]

/**
 * Code arguments that are not literals, by file and argument text. Each re-throws an error that
 * already has a literal code elsewhere, so no new code comes from them.
 */
const DYNAMIC_CODES: readonly { readonly file: string; readonly argument: string; readonly reason: string }[] = [
  { file: 'src/core/errors.ts', argument: 'this.code', reason: 'ConfigError.with() copies the error with other options, keeping its code' },
  { file: 'src/expr/functions.ts', argument: 'error.code', reason: 'a date-pattern ConfigError re-thrown with its offset moved into the expression' },
  { file: 'src/expr/record-errors.ts', argument: 'error.code', reason: 'rethrowInPart() adds the expression part to a RecordError from core' },
  { file: 'src/processors/date-format-processor.ts', argument: 'error.code', reason: 'withColumn() adds the column name to a RecordError' },
  { file: 'src/sql/table-output.ts', argument: 'error.code', reason: 'convertRow() adds the target column to a RecordError of castValue' },
  { file: 'src/engine/split-plan.ts', argument: 'data.code', reason: 'errorFromData() rebuilds, on the main thread, an error a worker thread raised with its own literal code' },
]

/** Codes that errorCode() derives instead of a constructor call, with the text of errors.ts that makes them. */
const DERIVED_CODES: ReadonlyMap<string, string> = new Map([
  ['system.<errno>', '`system.${code.toLowerCase()}`'],
  ['internal', "'internal'"],
])

interface Raised {
  readonly code: string
  readonly kinds: readonly Kind[]
  /** `src/formats/csv-parser.ts:346` */
  readonly where: string
}

interface NonLiteral {
  readonly file: string
  readonly argument: string
  readonly where: string
}

interface Scan {
  readonly raised: readonly Raised[]
  readonly nonLiteral: readonly NonLiteral[]
}

type Call = ts.CallExpression | ts.NewExpression

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

function scanSource(): Scan {
  const files = sourceFiles(join(ROOT, 'src')).sort()
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT)
  const program = ts.createProgram({ rootNames: files, options: { ...options, noEmit: true } })
  const checker = program.getTypeChecker()
  const scanned = new Set(files)
  const sources = program.getSourceFiles().filter((source) => scanned.has(source.fileName))
  const isScanned = (node: ts.Node): boolean => scanned.has(node.getSourceFile().fileName)

  const where = (node: ts.Node): string => {
    const source = node.getSourceFile()
    return `${relative(ROOT, source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`
  }

  const symbolOf = (node: ts.Node): ts.Symbol | undefined => {
    const symbol = checker.getSymbolAtLocation(node)
    return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
  }

  const baseClass = (declaration: ts.ClassLikeDeclaration | undefined): ts.ClassLikeDeclaration | undefined => {
    const base = declaration?.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]
    return base && symbolOf(base.expression)?.declarations?.find(ts.isClassLike)
  }

  /** The classes from `declaration` up its extends chain. */
  const classChain = (declaration: ts.Node | undefined): ts.ClassLikeDeclaration[] => {
    const chain: ts.ClassLikeDeclaration[] = []
    for (let current = declaration && ts.isClassLike(declaration) ? declaration : undefined; current && !chain.includes(current); current = baseClass(current)) {
      chain.push(current)
    }
    return chain
  }

  /** The kind of an error class: the class of errors.ts it is or extends; undefined for other classes. */
  const classKind = (declaration: ts.Node | undefined): Kind | undefined => {
    const kind = classChain(declaration).find((current) => relative(ROOT, current.getSourceFile().fileName) === ERRORS_FILE && KINDS.includes(current.name?.text as Kind))
    return kind?.name?.text as Kind | undefined
  }

  /** The constructor `new` runs: the class's own or the nearest inherited one. */
  const constructorOf = (declaration: ts.Node | undefined): ts.SignatureDeclaration | undefined => {
    for (const current of classChain(declaration)) {
      const found = current.members.find((member) => ts.isConstructorDeclaration(member) && member.body !== undefined)
      if (found) return found as ts.ConstructorDeclaration
    }
    return undefined
  }

  /** The function a declaration names: itself, a function assigned to it, or its function type. */
  const signatureOf = (declaration: ts.Declaration): ts.SignatureDeclaration | undefined => {
    if (ts.isFunctionLike(declaration)) return declaration
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertyAssignment(declaration)) {
      if (declaration.initializer && ts.isFunctionLike(declaration.initializer)) return declaration.initializer
    }
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertySignature(declaration)) {
      if (declaration.type && ts.isFunctionTypeNode(declaration.type)) return declaration.type
    }
    return undefined
  }

  /** The name calls use for a function; undefined for constructors and anonymous functions. */
  const nameOf = (signature: ts.SignatureDeclaration): string | undefined => {
    const holder = ts.isArrowFunction(signature) || ts.isFunctionExpression(signature) || ts.isFunctionTypeNode(signature) ? signature.parent : signature
    const name = (holder as { name?: ts.Node }).name
    return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)) ? name.text : undefined
  }

  const isSuperCall = (node: Call): boolean => node.expression.kind === ts.SyntaxKind.SuperKeyword

  const calleeName = (node: Call): ts.Identifier | ts.PrivateIdentifier | undefined => {
    if (ts.isIdentifier(node.expression)) return node.expression
    if (ts.isPropertyAccessExpression(node.expression)) return node.expression.name
    return undefined
  }

  /** What a call runs. Calls are resolved from their callee's symbol, which is cheap; signatures are not. */
  const targets = new Map<Call, ts.SignatureDeclaration[]>()
  const targetsOf = (node: Call): ts.SignatureDeclaration[] => {
    let found = targets.get(node)
    if (found) return found
    if (ts.isNewExpression(node)) {
      const symbol = symbolOf(node.expression)
      const declaration = symbol?.declarations?.find(ts.isClassLike)
      // `new Alias(...)` with a local variable holding a class: ask the checker.
      const isLocalValue = !declaration && symbol?.declarations?.some((candidate) => isScanned(candidate) && !ts.isClassLike(candidate))
      const constructor = declaration ? constructorOf(declaration) : isLocalValue ? (checker.getResolvedSignature(node)?.declaration as ts.SignatureDeclaration | undefined) : undefined
      found = constructor ? [constructor] : []
    } else if (isSuperCall(node)) {
      const constructor = constructorOf(baseClass(ts.findAncestor(node, ts.isClassLike)))
      found = constructor ? [constructor] : []
    } else {
      const name = calleeName(node)
      const declarations = (name && symbolOf(name)?.declarations) ?? []
      found = declarations.map(signatureOf).filter((signature): signature is ts.SignatureDeclaration => signature !== undefined)
    }
    targets.set(node, found)
    return found
  }

  const errorsSource = sources.find((source) => relative(ROOT, source.fileName) === ERRORS_FILE)
  const fustorError = errorsSource?.statements.find((statement) => ts.isClassDeclaration(statement) && statement.name?.text === 'FustorError')
  const root = constructorOf(fustorError)
  if (!root || root.parent !== fustorError) throw new Error(`cannot find the constructor of FustorError in ${ERRORS_FILE}`)

  /** Index of the code parameter of each function that takes one, and the names they are called by. */
  const codeParameter = new Map<ts.SignatureDeclaration, number>([[root, 0]])
  const helperNames = new Set<string>()
  const calls: Call[] = []
  for (const source of sources) {
    const visit = (node: ts.Node): void => {
      if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && (node.arguments?.length ?? 0) > 0) calls.push(node)
      if (ts.isFunctionLike(node) && !('body' in node && node.body)) {
        const index = node.parameters.findIndex(
          (parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === 'code' && parameter.type?.kind === ts.SyntaxKind.StringKeyword,
        )
        const name = nameOf(node)
        if (index >= 0 && name !== undefined) {
          codeParameter.set(node, index)
          helperNames.add(name)
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  const isCandidate = (node: Call): boolean => ts.isNewExpression(node) || isSuperCall(node) || helperNames.has(calleeName(node)?.text ?? '')
  const codeIndexOf = (node: Call): { target: ts.SignatureDeclaration; index: number } | undefined => {
    if (!isCandidate(node)) return undefined
    for (const target of targetsOf(node)) {
      const index = codeParameter.get(target)
      if (index !== undefined) return { target, index }
    }
    return undefined
  }

  /** The parameter `argument` is, when it is a parameter passed as is. */
  const parameterOf = (argument: ts.Expression | undefined): ts.ParameterDeclaration | undefined => {
    if (!argument || !ts.isIdentifier(argument)) return undefined
    const declaration = symbolOf(argument)?.valueDeclaration
    return declaration && ts.isParameter(declaration) ? declaration : undefined
  }

  // A function that passes one of its parameters as a code takes a code there: follow until stable.
  const anonymous: ts.Expression[] = []
  for (let isChanged = true; isChanged; ) {
    isChanged = false
    for (const node of calls) {
      const found = codeIndexOf(node)
      const argument = found && node.arguments?.[found.index]
      const parameter = parameterOf(argument)
      if (!argument || !parameter || codeParameter.has(parameter.parent)) continue
      codeParameter.set(parameter.parent, parameter.parent.parameters.indexOf(parameter))
      const name = nameOf(parameter.parent)
      if (name !== undefined) helperNames.add(name)
      // A callback's callers cannot be followed: report its code as not a literal.
      else if (!ts.isConstructorDeclaration(parameter.parent)) anonymous.push(argument)
      isChanged = true
    }
  }

  const isForwarded = (argument: ts.Expression): boolean => {
    const parameter = parameterOf(argument)
    return parameter !== undefined && !anonymous.includes(argument) && codeParameter.get(parameter.parent) === parameter.parent.parameters.indexOf(parameter)
  }

  // The kinds a call builds: its class for new and super(...), else what the called helper builds.
  const helperKinds = new Map<ts.SignatureDeclaration, Set<Kind>>()
  const kindsOfHelper = (helper: ts.SignatureDeclaration): Set<Kind> => {
    let kinds = helperKinds.get(helper)
    if (kinds) return kinds
    kinds = new Set()
    helperKinds.set(helper, kinds)
    for (const node of calls) {
      const found = codeIndexOf(node)
      if (found && parameterOf(node.arguments?.[found.index])?.parent === helper) for (const kind of kindsOfCall(node, found.target)) kinds.add(kind)
    }
    return kinds
  }
  const kindsOfCall = (node: Call, target: ts.SignatureDeclaration): Kind[] => {
    const built = ts.isNewExpression(node)
      ? classKind(symbolOf(node.expression)?.declarations?.find(ts.isClassLike) ?? checker.getTypeAtLocation(node).getSymbol()?.valueDeclaration)
      : isSuperCall(node)
        ? classKind(ts.findAncestor(node, ts.isClassLike))
        : undefined
    return built ? [built] : [...kindsOfHelper(target)]
  }

  const raised: Raised[] = []
  const nonLiteral: NonLiteral[] = []
  for (const node of calls) {
    const found = codeIndexOf(node)
    if (!found) continue
    const argument = node.arguments?.[found.index]
    if (argument && isForwarded(argument)) continue
    if (argument && ts.isStringLiteral(argument)) {
      raised.push({ code: argument.text, kinds: kindsOfCall(node, found.target), where: where(node) })
    } else {
      const text = argument ? argument.getText().replace(/\s+/g, ' ') : '(no code argument)'
      nonLiteral.push({ file: relative(ROOT, node.getSourceFile().fileName), argument: text, where: where(argument ?? node) })
    }
  }
  return { raised, nonLiteral }
}

interface DocRow {
  readonly code: string
  readonly kinds: readonly Kind[]
  readonly line: number
}

/** Table rows whose first cell is a code in backticks. */
function documentedRows(): DocRow[] {
  const lines = readFileSync(join(ROOT, DOC), 'utf8').split('\n')
  return lines.flatMap((line, i) => {
    if (!line.trimStart().startsWith('|')) return []
    const cells = line.trim().replace(/^\|/, '').split(/(?<!\\)\|/).map((cell) => cell.trim())
    const code = /^`([^`]+)`$/.exec(cells[0])?.[1]
    if (code === undefined) return []
    const kinds = KINDS.filter((kind) => new RegExp(`\\b${kind}\\b`).test(cells[1] ?? ''))
    return [{ code, kinds, line: i + 1 }]
  })
}

let cached: Scan | undefined
function scan(): Scan {
  cached ??= scanSource()
  return cached
}

function byCode(raised: readonly Raised[]): Map<string, Raised[]> {
  const result = new Map<string, Raised[]>()
  for (const site of raised) result.set(site.code, [...(result.get(site.code) ?? []), site])
  return result
}

function kindList(kinds: Iterable<Kind>): string {
  return KINDS.filter((kind) => [...kinds].includes(kind)).join(', ')
}

/** Fails with `title` and one line per problem, so that the fix is in the message. */
function expectNone(problems: readonly string[], title: string): void {
  expect(problems.length, `${title}\n${problems.map((problem) => `  ${problem}`).join('\n')}\n`).toBe(0)
}

describe(`error codes and ${DOC}`, () => {
  test('the scan finds the codes (sanity check of the extraction)', () => {
    const codes = new Set(scan().raised.map((site) => site.code))
    for (const code of ['component.not_found', 'config.unknown_field', 'expr.unknown_column', 'expr.type', 'value.invalid', 'csv.malformed', 'run.error_limit']) {
      expect(codes, `the scan of src/ did not find ${code}`).toContain(code)
    }
  }, 60_000)

  test('every code argument is a plain string literal', () => {
    const problems = scan().nonLiteral.filter(
      (site) => !DYNAMIC_CODES.some((allowed) => allowed.file === site.file && allowed.argument === site.argument),
    )
    expectNone(
      problems.map((site) => `${site.where}: ${site.argument}`),
      `error codes must be plain string literals ('area.what') so that ${DOC} can list them. Write the code as a literal, ` +
        'or, if the call only re-throws an error that has a literal code elsewhere, add it to DYNAMIC_CODES in test/error-codes.test.ts with the reason:',
    )
  }, 60_000)

  test('every DYNAMIC_CODES exception is still needed', () => {
    const stale = DYNAMIC_CODES.filter((allowed) => !scan().nonLiteral.some((site) => site.file === allowed.file && site.argument === allowed.argument))
    expectNone(
      stale.map((allowed) => `${allowed.file}: ${allowed.argument}`),
      'these DYNAMIC_CODES exceptions in test/error-codes.test.ts match no call any more; remove them:',
    )
  }, 60_000)

  test('codes are dotted lowercase names', () => {
    const bad = [
      ...scan().raised.filter((site) => !CODE_PATTERN.test(site.code)).map((site) => `${site.where}: '${site.code}'`),
      ...documentedRows()
        .filter((row) => !DERIVED_CODES.has(row.code) && !CODE_PATTERN.test(row.code))
        .map((row) => `${DOC}:${row.line}: \`${row.code}\``),
    ]
    expectNone(bad, `codes must match ${CODE_PATTERN} (area.what, lowercase with underscores):`)
  }, 60_000)

  test(`every code raised in src/ is documented in ${DOC}`, () => {
    const documented = new Set(documentedRows().map((row) => row.code))
    const missing = [...byCode(scan().raised)].filter(([code]) => !documented.has(code)).sort(([a], [b]) => (a < b ? -1 : 1))
    expectNone(
      missing.map(([code, sites]) => `| \`${code}\` | ${kindList(sites.flatMap((site) => site.kinds)) || '?'} | ... | ... |   raised at ${sites.map((site) => site.where).join(', ')}`),
      `${missing.length} code(s) missing from ${DOC}: add these rows to the table of their area (meaning in one sentence, then what the user should do):`,
    )
  }, 60_000)

  test(`every code documented in ${DOC} is still raised`, () => {
    const raised = byCode(scan().raised)
    const stale = documentedRows().filter((row) => !DERIVED_CODES.has(row.code) && !raised.has(row.code))
    expectNone(
      stale.map((row) => `${DOC}:${row.line}: \`${row.code}\``),
      `${stale.length} code(s) in ${DOC} are raised nowhere in src/ any more: remove their rows (or fix the spelling):`,
    )
  }, 60_000)

  test(`each code has one row in ${DOC}, with the kinds it is raised as`, () => {
    const raised = byCode(scan().raised)
    const rows = documentedRows()
    const problems: string[] = []
    for (const row of rows) {
      const first = rows.find((other) => other.code === row.code)!
      if (first !== row) problems.push(`${DOC}:${row.line}: \`${row.code}\` already has a row at line ${first.line}`)
      const sites = raised.get(row.code)
      if (!sites) continue
      const expected = kindList(sites.flatMap((site) => site.kinds))
      if (kindList(row.kinds) !== expected) problems.push(`${DOC}:${row.line}: \`${row.code}\` says "${kindList(row.kinds)}" but is raised as ${expected}`)
    }
    expectNone(problems, `fix these rows of ${DOC}:`)
  }, 60_000)

  test('the codes errorCode() derives are documented and still derived', () => {
    const errors = readFileSync(join(ROOT, ERRORS_FILE), 'utf8')
    const documented = new Set(documentedRows().map((row) => row.code))
    const problems = [...DERIVED_CODES].flatMap(([code, evidence]) => [
      ...(documented.has(code) ? [] : [`\`${code}\` has no row in ${DOC}`]),
      ...(errors.includes(evidence) ? [] : [`${ERRORS_FILE} no longer contains ${evidence} (for \`${code}\`): update DERIVED_CODES and ${DOC}`]),
    ])
    expectNone(problems, 'derived codes:')
  })
})

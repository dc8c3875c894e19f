/**
 * The services integration tests need (PostgreSQL, MariaDB, brokers), found by connecting to their
 * port. A test file asks with `await service('postgresql')` at its top and passes the result to
 * `describe.skipIf`: when the service is absent the suite is skipped with the reason printed, except
 * under CI=true, where an absent service fails the run (DEVELOPERS brief: CI must test everything).
 *
 *   const pg = await service('postgresql')
 *   describe.skipIf(!pg.available)(`postgresql (${pg.reason})`, () => { ... })
 */
import { connect } from 'node:net'

export interface ServiceAddress {
  readonly host: string
  readonly port: number
}

/** The machine's services (DEVELOPERS brief), overridable by environment. */
export const SERVICES = {
  postgresql: { host: process.env.FUSTOR_TEST_PG_HOST ?? '127.0.0.1', port: Number(process.env.FUSTOR_TEST_PG_PORT ?? 5432) },
  mariadb: { host: process.env.FUSTOR_TEST_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.FUSTOR_TEST_MYSQL_PORT ?? 3306) },
  redis: { host: '127.0.0.1', port: 6379 },
  rabbitmq: { host: '127.0.0.1', port: 5672 },
  mosquitto: { host: '127.0.0.1', port: 1883 },
  nats: { host: '127.0.0.1', port: 4222 },
} as const satisfies Record<string, ServiceAddress>

export type ServiceName = keyof typeof SERVICES

export interface ServiceStatus extends ServiceAddress {
  readonly available: boolean
  /** For the suite title: `127.0.0.1:5432`, or why it is skipped. */
  readonly reason: string
}

const found = new Map<ServiceName, Promise<ServiceStatus>>()

/** Whether the service answers on its port. Under CI=true an absent service throws (the suite fails). */
export function service(name: ServiceName): Promise<ServiceStatus> {
  let status = found.get(name)
  if (status === undefined) {
    status = probe(name)
    found.set(name, status)
  }
  return status
}

async function probe(name: ServiceName): Promise<ServiceStatus> {
  const { host, port } = SERVICES[name]
  const error = await new Promise<string | undefined>((resolve) => {
    const socket = connect({ host, port, timeout: 2000 })
    socket.once('connect', () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve('timed out')
    })
    socket.once('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message))
  })
  if (error === undefined) return { host, port, available: true, reason: `${host}:${port}` }
  const reason = `SKIPPED: ${name} not reachable at ${host}:${port} (${error})`
  if (process.env.CI === 'true') throw new Error(`${name} is required under CI=true but is not reachable at ${host}:${port} (${error})`)
  console.warn(reason)
  return { host, port, available: false, reason }
}

/**
 * The `shop` database the documentation's database examples read: a `users` table holding
 * examples/data/users.csv, in the machine's PostgreSQL and MariaDB and in a SQLite file. Created
 * (or recreated) by the examples test before it runs those examples.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { SERVICES } from './services.js'

export const SHOP = 'shop'

interface UserRow {
  id: number
  name: string
  email: string | null
  age: number | null
  country: string | null
  city: string | null
  score: string | null
  active: boolean | null
  created_at: string | null
}

/** The rows of examples/data/users.csv (simple CSV: one quoted name at most per line). */
export function exampleUsers(root: string): UserRow[] {
  const lines = readFileSync(join(root, 'examples', 'data', 'users.csv'), 'utf8').trim().split('\n').slice(1)
  return lines.map((line) => {
    const fields = [...line.matchAll(/("([^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1].replace(/^"|"$/g, '').replace(/""/g, '"')).slice(0, 9)
    const [id, name, email, age, country, city, score, active, createdAt] = fields.map((field) => (field === '' ? null : field))
    return {
      id: Number(id),
      name: name ?? '',
      email,
      age: age === null ? null : Number(age),
      country,
      city,
      score,
      active: active === null ? null : active === 'true',
      created_at: createdAt === null ? null : createdAt.replace('T', ' '),
    }
  })
}

const COLUMNS = ['id', 'name', 'email', 'age', 'country', 'city', 'score', 'active', 'created_at'] as const

export async function preparePostgresShop(root: string): Promise<void> {
  const admin = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: 'postgres' })
  await admin.connect()
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [SHOP])
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${SHOP}`)
  } finally {
    await admin.end()
  }
  const client = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: SHOP })
  await client.connect()
  try {
    await client.query('DROP TABLE IF EXISTS users, users_copy, staging_users, user_countries')
    await client.query(
      'CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, email text, age integer, country char(2), city text, score numeric(5,2), active boolean, created_at timestamp)',
    )
    for (const user of exampleUsers(root)) {
      await client.query(`INSERT INTO users (${COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, COLUMNS.map((c) => user[c]))
    }
  } finally {
    await client.end()
  }
}

export async function prepareMariadbShop(root: string): Promise<void> {
  const connection = await mysql.createConnection({ ...SERVICES.mariadb, user: 'root' })
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${SHOP}`)
    await connection.query(`USE ${SHOP}`)
    await connection.query('DROP TABLE IF EXISTS users, users_copy')
    await connection.query(
      'CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(255), age INT, country CHAR(2), city VARCHAR(100), score DECIMAL(5,2), active BOOLEAN, created_at DATETIME) CHARACTER SET utf8mb4',
    )
    for (const user of exampleUsers(root)) {
      await connection.query(`INSERT INTO users (${COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, COLUMNS.map((c) => user[c]))
    }
  } finally {
    await connection.end()
  }
}

export function prepareSqliteShop(root: string, path: string): void {
  const db = new Database(path)
  try {
    db.exec('DROP TABLE IF EXISTS users')
    db.exec('CREATE TABLE users (id INT PRIMARY KEY, name TEXT NOT NULL, email TEXT, age INT, country TEXT, city TEXT, score DECIMAL(5,2), active BOOLEAN, created_at TIMESTAMP)')
    const insert = db.prepare(`INSERT INTO users (${COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    for (const user of exampleUsers(root)) insert.run(user.id, user.name, user.email, user.age, user.country, user.city, user.score, user.active === null ? null : user.active ? 1 : 0, user.created_at?.replace(' ', 'T') ?? null)
  } finally {
    db.close()
  }
}

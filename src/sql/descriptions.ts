/**
 * The reference-doc text the relational connectors share (docs/reference is generated from it), with
 * each database's particulars passed in.
 */

export function inputDescription(label: string, particulars: string): string {
  return [
    `Reads rows from ${label}: a table (\`query.table\`, optionally \`columns\` and a \`filter\`) or any SELECT (\`query.sql\`).`,
    'Rows stream with bounded memory; columns get Fustor types as in docs/relational.md.',
    '',
    'A table is read in order of its key (`query.split_key`, default the primary key). The position after each',
    'batch is the last key read, so a resumed run (`fustor run --resume`) continues after the last row written,',
    'and a lost connection reconnects and continues there too. `parallelism: N` splits an integer key into N',
    'ranges read at once on N connections; each range resumes on its own.',
    '',
    '`incremental: {column, start}` reads only rows whose column is above the high-water mark the last finished',
    'run reached (kept under FUSTOR_HOME), up to the maximum when the run starts. `fustor run --full-refresh`',
    'reads everything again.',
    '',
    'A query without a key (`query.sql` without `split_key`, a table without primary key) is read in one stream;',
    'a resumed run reads it again from the start.',
    '',
    particulars,
  ].join('\n')
}

export function outputDescription(label: string, particulars: string): string {
  return [
    `Writes rows to a ${label} table. Columns are matched by name (a row column the table lacks is an error that`,
    'names it); values are converted to the column types first, and a value that does not convert is sent to',
    'the dead-letter output with its reason.',
    '',
    'Rows are gathered into transactions of `write.batch_size` rows (or fewer at each checkpoint). `insert`',
    'appends; `upsert` inserts or updates the written columns of the row with the same `conflict.key` (default:',
    'the primary key); `replace` deletes that row and inserts the new one; `merge` runs a MERGE where the',
    'database has one. The last of several rows with the same key in one transaction wins.',
    '',
    'A row the database refuses (a constraint, a value out of range or too long) is found by splitting the',
    'transaction in halves until it stands alone; it goes to the dead-letter output and the other rows are',
    'written. A deadlock or a lost connection is retried.',
    '',
    'After a crash, `--resume` writes again the rows after the last checkpoint: upsert, replace and merge make',
    'that exact; insert may duplicate them.',
    '',
    '`pre_sql` runs once before the first row (not on resume), `post_sql` once after the last (ELT: transform',
    'the loaded rows inside the database). `create_table: true` creates a missing table from the rows\' schema.',
    '',
    particulars,
  ].join('\n')
}

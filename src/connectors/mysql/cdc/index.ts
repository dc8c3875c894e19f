/**
 * The `mysql_cdc` input: change data capture from the MySQL / MariaDB binary log (mysql-cdc-input.ts).
 */
import { mysqlCdcInput } from './mysql-cdc-input.js'

export { mysqlCdcInput }
export const mysqlCdcInputs = [mysqlCdcInput]

/** The env that tells the SV server its database: type, data source, name, credentials and what to wait for. */
import { EnvVar, secretEnv } from '../../constructs/pod';
import { databaseValuesWithEngine, PostgresDatabase } from '../../constructs/postgres';
import { Render, ValueTree } from '../../core/template';
import { z } from 'zod';
import { SV_SECRET_ENV } from './values';

/** SV_DB_* from the database values and the in-cluster (or external) database. */
export function svDatabaseEnv(render: Render, values: ValueTree<z.output<ReturnType<typeof databaseValuesWithEngine>>>, database: PostgresDatabase): EnvVar[] {
  // Postgres: ";Host=...;Port=...;Database=...;" (the vendor's form, with the port so an external server
  // on another port works); Oracle: EZConnect "host:port/service".
  const port = render.str(values.port);
  const dataSource = render.ifElse(render.eq(values.type, 'oracle'), `${database.host}:${port}/${values.name}`, `;Host=${database.host};Port=${port};Database=${values.name};`);
  return [
    { name: 'SV_DB_TYPE', value: values.type },
    { name: 'SV_DB_DATASOURCE', value: dataSource },
    { name: 'SV_DB_NAME', value: values.name },
    secretEnv(SV_SECRET_ENV.dbUser, database.credentials.secretName, 'user'),
    secretEnv(SV_SECRET_ENV.dbPassword, database.credentials.secretName, 'password'),
    ...render.itemsIf(values.waitForReady, [{ name: 'SV_DB_WAIT_FOR', value: `${database.host}:${port}` }]),
  ];
}

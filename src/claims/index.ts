export { DEMO_PARTIES } from './demo-data.js';
export { claimsUnavailable } from './errors.js';
export { MIGRATIONS, migrate } from './migrations.js';
export { openSql, type Sql, type SqlQueryable, type SqlValue } from './sql.js';
export { type ClaimsStore, type CreateClaimsStoreOptions, createClaimsStore } from './store.js';
export type * from './types.js';

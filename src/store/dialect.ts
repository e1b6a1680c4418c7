/** Which SQL engine a store runs on; the migrations and repositories branch on it. */
export type Dialect = 'sqlite' | 'postgres';

import postgres from 'postgres';
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/log.ts';
import { adminUrl, TEMPLATE_DB } from './support/db.ts';

// Builds a migrated template database once; each test file clones it (CREATE DATABASE … TEMPLATE), which
// takes milliseconds where applying PostGIS and the schema takes seconds.
export default async function setup() {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return;
  const admin = postgres(adminUrl(base), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${TEMPLATE_DB}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await migrate(sql, createLogger('silent'));
  } finally {
    await sql.end();
  }
}

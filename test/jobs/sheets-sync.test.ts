import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getTruck, insertTruck } from '../../src/db/trucks.ts';
import { firstRowOf, runSheetsSync } from '../../src/jobs/sheets-sync.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { jobDeps, recordingSlack } from './deps.ts';

// Google is reached only at its HTTP edge: nock stands in for the OAuth token endpoint (a real signed
// service-account JWT is sent to it) and for Sheets v4 values:batchGet.

const SHEET_ID = 'roster-sheet-1';
const RANGE = 'Trucks!A1:Z';
const TOKEN = 'ya29.test-access-token';
const HEADERS = [
  'Truck Number',
  'LocoNav Vehicle ID',
  'IMEI',
  'Company',
  'Fleet Manager',
  'Status',
  'Brand',
  'Trailer Size',
  'Operating Location',
];

let testDb: TestDb;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  testDb = await createTestDb();
  dir = await mkdtemp(path.join(tmpdir(), 'wt-sheets-'));
  keyFile = path.join(dir, 'service-account.json');
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  await writeFile(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      project_id: 'watchtower-test',
      private_key_id: 'k1',
      private_key: privateKey,
      client_email: 'roster@watchtower-test.iam.gserviceaccount.com',
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
  );
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});

afterAll(async () => {
  nock.enableNetConnect();
  await rm(dir, { recursive: true, force: true });
  await testDb.drop();
});

beforeEach(async () => {
  await testDb.sql`truncate trucks, events cascade`;
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

function googleToken() {
  return nock('https://oauth2.googleapis.com')
    .post(
      '/token',
      (body) => body.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && !!body.assertion,
    )
    .reply(200, { access_token: TOKEN, expires_in: 3600, token_type: 'Bearer' });
}

function batchGet() {
  return nock('https://sheets.googleapis.com', { reqheaders: { authorization: `Bearer ${TOKEN}` } })
    .get(`/v4/spreadsheets/${SHEET_ID}/values:batchGet`)
    .query({ ranges: RANGE, majorDimension: 'ROWS' });
}

const sheet = (rows: string[][], range = 'Trucks!A1:Z1000') => ({
  spreadsheetId: SHEET_ID,
  valueRanges: [{ range, majorDimension: 'ROWS', values: [HEADERS, ...rows] }],
});

function deps(slack = recordingSlack()) {
  const { deps, logs } = jobDeps(testDb.sql, {
    env: {
      GOOGLE_SHEETS_ID: SHEET_ID,
      GOOGLE_SHEETS_RANGE: RANGE,
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      SLACK_REPORTS_CHANNEL: 'C0REPORTS',
    },
    slack,
  });
  return { deps, logs, slack };
}

const events = async (type: string) =>
  testDb.sql`select entity_id, payload, actor from events where type = ${type} order by id`;

describe('sheets sync', () => {
  it('adds the valid rows as trucks, with an event each, and posts a summary', async () => {
    googleToken();
    batchGet().reply(
      200,
      sheet([
        ['kja-123xy ', 'LN-1', '0356000000000001', 'Dangote', 'Ada', '', 'MAN', '40ft', 'Apapa'],
        ['LND-456AB', '', '', 'Dangote', 'Bola', 'Maintenance', 'Volvo', '20ft', 'Ikeja'],
      ]),
    );
    const { deps: d, slack } = deps();
    const result = await runSheetsSync(d);
    expect(result.summary).toBe('Roster sync: 2 added, 0 updated, 0 marked inactive, 0 unchanged');

    const kja = await getTruck(testDb.sql, 'KJA-123XY');
    expect(kja).toMatchObject({
      imei: '0356000000000001',
      loconavVehicleId: 'LN-1',
      company: 'Dangote',
      fleetManager: 'Ada',
      status: 'active',
      brand: 'MAN',
      trailerSize: '40ft',
      operatingLocation: 'Apapa',
    });
    expect((await getTruck(testDb.sql, 'LND-456AB'))?.status).toBe('maintenance');
    const created = await events('truck.created');
    expect(created.map((e) => e.payload.truck_number).sort()).toEqual(['KJA-123XY', 'LND-456AB']);
    expect(created[0]!.actor).toBe('system:sheets-sync');
    expect(slack.posted).toHaveLength(1);
    expect(slack.posted[0]!.channel).toBe('C0REPORTS');
    expect(slack.posted[0]!.message.text).toBe(result.summary);
  });

  it('reports invalid rows with their sheet row number and applies the valid ones', async () => {
    googleToken();
    // The range starts on row 3: the header is row 3, so data rows are 4, 5, 6, 7, 8.
    batchGet().reply(
      200,
      sheet(
        [
          ['KJA-1AA', '', '', 'Dangote', '', 'active', '', '', ''],
          ['', '', '', 'Orphan Co', '', '', '', '', ''],
          ['KJA-2BB', '', '3.56E+14', '', '', '', '', '', ''],
          ['KJA-3CC', '', '', '', '', 'sold', '', '', ''],
          ['kja-1aa', '', '', '', '', '', '', '', ''],
        ],
        'Trucks!A3:Z1000',
      ),
    );
    const { deps: d, slack } = deps();
    const result = await runSheetsSync(d);
    expect(result.summary).toBe(
      'Roster sync: 1 added, 0 updated, 0 marked inactive, 0 unchanged, 4 invalid rows (rows 5, 6, 7, 8)',
    );
    expect(await getTruck(testDb.sql, 'KJA-1AA')).toBeDefined();
    expect(await getTruck(testDb.sql, 'KJA-3CC')).toBeUndefined();
    const text = JSON.stringify(slack.posted[0]!.message.blocks);
    expect(text).toContain('Row 5: truck_number is empty');
    expect(text).toContain('Row 6 (KJA-2BB): imei looks like a number Sheets shortened');
    expect(text).toContain('Row 7 (KJA-3CC): status expected active, inactive, maintenance');
    expect(text).toContain('Row 8 (KJA-1AA): truck_number KJA-1AA is already on row 4');
  });

  it('updates changed trucks, marks a truck gone from the sheet inactive, and leaves the rest alone', async () => {
    const manual = await insertTruck(testDb.sql, { truckNumber: 'HAND-1' });
    googleToken();
    batchGet().reply(
      200,
      sheet([
        ['KJA-1AA', '', '', 'Dangote', 'Ada', '', '', '', ''],
        ['KJA-2BB', '', '', 'Dangote', 'Ada', '', '', '', ''],
      ]),
    );
    await runSheetsSync(deps().deps);

    googleToken();
    batchGet().reply(200, sheet([['KJA-1AA', '', '', 'BUA', 'Ada', '', '', '', '']]));
    const { deps: d, slack } = deps();
    const result = await runSheetsSync(d);
    expect(result.summary).toBe('Roster sync: 0 added, 1 updated, 1 marked inactive, 0 unchanged');

    expect((await getTruck(testDb.sql, 'KJA-1AA'))?.company).toBe('BUA');
    // Gone from the sheet: inactive, still there.
    expect((await getTruck(testDb.sql, 'KJA-2BB'))?.status).toBe('inactive');
    // Never on the sheet: not the sheet's to retire.
    expect((await getTruck(testDb.sql, manual.id))?.status).toBe('active');
    const [updated] = await events('truck.updated');
    expect(updated!.payload.changes).toEqual({ company: { from: 'Dangote', to: 'BUA' } });
    const [gone] = await events('truck.deactivated');
    expect(gone!.payload).toMatchObject({ truck_number: 'KJA-2BB', reason: 'gone from the roster sheet' });
    expect(JSON.stringify(slack.posted[0]!.message.blocks)).toContain('KJA-2BB');
  });

  it('posts nothing when a sync changes nothing and the skipped rows are the same as last time', async () => {
    const slack = recordingSlack();
    const rows = [
      ['KJA-1AA', '', '', 'Dangote', '', '', '', '', ''],
      ['BAD ROW!', '', '', '', '', '', '', '', ''],
    ];
    const d = deps(slack).deps;
    googleToken();
    batchGet().reply(200, sheet(rows));
    await runSheetsSync(d);
    googleToken();
    batchGet().reply(200, sheet(rows));
    const second = await runSheetsSync(d);
    expect(second.summary).toBe(
      'Roster sync: 0 added, 0 updated, 0 marked inactive, 1 unchanged, 1 invalid row (rows 3)',
    );
    expect(slack.posted).toHaveLength(1);
  });

  it('lets a sheet row adopt the truck ingest registered for its device', async () => {
    const [registered] = await testDb.sql`
      insert into trucks (truck_number, imei, status) values ('IMEI-0356000000000009', '0356000000000009', 'unassigned')
      returning id`;
    googleToken();
    batchGet().reply(200, sheet([['KJA-9ZZ', '', '0356000000000009', 'Dangote', '', '', '', '', '']]));
    const result = await runSheetsSync(deps().deps);
    expect(result.summary).toContain('1 updated');
    const truck = await getTruck(testDb.sql, 'KJA-9ZZ');
    expect(truck).toMatchObject({ id: registered!.id, status: 'active', imei: '0356000000000009' });
  });

  it('retries a 429 and a 403 rateLimitExceeded with backoff, then syncs', async () => {
    googleToken();
    batchGet().reply(429, { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } });
    batchGet().reply(403, {
      error: {
        code: 403,
        message: 'Rate Limit Exceeded',
        errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }],
      },
    });
    batchGet().reply(200, sheet([['KJA-1AA', '', '', '', '', '', '', '', '']]));
    const { deps: d, logs } = deps();
    const result = await runSheetsSync(d, { retry: { baseMs: 5 } });
    expect(result.summary).toContain('1 added');
    expect(logs.filter((l) => l.msg === 'Google Sheets quota hit; backing off').map((l) => l.status)).toEqual(
      [429, 403],
    );
  });

  it('gives up after the last attempt with a quota error that says so', async () => {
    googleToken();
    batchGet()
      .times(2)
      .reply(429, { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } });
    await expect(runSheetsSync(deps().deps, { retry: { baseMs: 1, attempts: 2 } })).rejects.toMatchObject({
      code: 'WT_RATE_LIMITED',
      message: 'Google Sheets quota still exceeded after retries: Quota exceeded',
    });
  });

  it('does not retry a 403 that is not about quota, and says what to do', async () => {
    googleToken();
    batchGet().reply(403, {
      error: { code: 403, message: 'The caller does not have permission', status: 'PERMISSION_DENIED' },
    });
    await expect(runSheetsSync(deps().deps, { retry: { baseMs: 1 } })).rejects.toThrow(
      "Google refused to read the roster sheet (403: The caller does not have permission): share the sheet with the service account's email.",
    );
  });

  it('blames the service-account key, not the sheet, when Google refuses the token', async () => {
    nock('https://oauth2.googleapis.com')
      .post('/token')
      .reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    await expect(runSheetsSync(deps().deps)).rejects.toThrow(
      'Google refused the service account (invalid_grant: Invalid JWT Signature.): check the key in GOOGLE_APPLICATION_CREDENTIALS.',
    );
  });

  it('changes nothing when the range holds no truck rows', async () => {
    await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' });
    await testDb.sql`update trucks set roster_seen_at = now()`;
    googleToken();
    batchGet().reply(200, sheet([]));
    await expect(runSheetsSync(deps().deps)).rejects.toThrow(/has no truck rows; nothing was changed/);
    expect((await getTruck(testDb.sql, 'KJA-1AA'))?.status).toBe('active');
  });

  it('refuses a sheet without a truck number column, naming the headers it found', async () => {
    googleToken();
    batchGet().reply(200, {
      valueRanges: [
        {
          range: 'Trucks!A1:Z3',
          values: [
            ['Plate', 'Owner'],
            ['KJA-1', 'Ada'],
          ],
        },
      ],
    });
    await expect(runSheetsSync(deps().deps)).rejects.toThrow(
      'the roster sheet has no truck_number column in its first row (found: Plate, Owner); nothing was changed.',
    );
  });

  it('says which setting is missing, without calling Google', async () => {
    const { deps: d } = jobDeps(testDb.sql, { env: { GOOGLE_SHEETS_ID: SHEET_ID } });
    await expect(runSheetsSync(d)).rejects.toThrow('roster sync is off: set GOOGLE_APPLICATION_CREDENTIALS.');
  });

  it('reads the first row number from the range Google returns', () => {
    expect(firstRowOf('Trucks!A3:Z1000')).toBe(3);
    expect(firstRowOf("'Fleet roster'!$B$12:Z")).toBe(12);
    expect(firstRowOf('Trucks!A:Z')).toBe(1);
    expect(firstRowOf(undefined)).toBe(1);
  });
});

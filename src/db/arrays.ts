// postgres.js's own array parameters lose NULLs (a null uuid arrives as the text "NULL", a null boolean as
// false) and refuse Date arrays, so batched statements pass each column as a PostgreSQL array literal,
// cast in SQL (`${pgArray(xs)}::timestamptz[]`). NULL is written bare; everything else is quoted.

type Element = string | number | boolean | Date | null | undefined;

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function pgArray(values: readonly Element[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (typeof v === 'number') parts[i] = Number.isFinite(v) ? String(v) : 'NULL';
    else if (typeof v === 'boolean') parts[i] = v ? 't' : 'f';
    else if (v instanceof Date) parts[i] = quote(v.toISOString());
    else parts[i] = quote(v);
  }
  return `{${parts.join(',')}}`;
}

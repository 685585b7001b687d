// Reads Parquet files with three independent readers (DuckDB, parquet-wasm, i.e. arrow-rs
// compiled to WebAssembly, and hyparquet, pure JavaScript) and puts what each sees in one
// normal form: schema (name, type, nullability), every value, each row group's statistics,
// the footer's key/value metadata.
//
//   node read_parquet.mjs FILE.parquet      prints each reader's view as JSON
//   node read_parquet.mjs --check DIR       compares every DIR/NAME.parquet with the
//                                           DIR/NAME.expected.json beside it; exit 1 on any
//                                           difference, naming reader, file and place
//
// Normal form of a value: INT64 and TIMESTAMP (micros) as decimal strings, DOUBLE as JavaScript
// prints it ("-0", "NaN", "Infinity" too), STRING as itself, null as null. A reader that hands
// an INT64 over as a JavaScript number (losing digits) shows as "number:..." and fails.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { readParquet, ParquetFile } from 'parquet-wasm/node';
import { tableFromIPC } from 'apache-arrow';
import { fileURLToPath } from 'node:url';

// hyparquet's own page-header parser (not in its package exports, so by path): the data page
// headers' statistics are read with it, independently of the writer.
const { parquetHeader } = await import(
  join(fileURLToPath(new URL('.', import.meta.url)), 'node_modules/hyparquet/src/column.js'));

function canon(v, type) {
  if (v === null || v === undefined) return null;
  if (type === 'INT64' || type === 'TIMESTAMP') {
    return typeof v === 'bigint' ? v.toString() : `${typeof v}:${String(v)}`;
  }
  if (type === 'DOUBLE') {
    if (typeof v !== 'number') return `${typeof v}:${String(v)}`;
    return Object.is(v, -0) ? '-0' : String(v);
  }
  if (typeof v !== 'string') return `${typeof v}:${String(v)}`;
  return v;
}

// The type as the Parquet schema spells it: physical type plus logical/converted annotation.
function typeOfParquet(physical, logical, converted) {
  const l = logical ?? '';
  if (physical === 'INT64' && !l && !converted) return 'INT64';
  if (physical === 'DOUBLE' && !l && !converted) return 'DOUBLE';
  if (physical === 'INT64' && /TIMESTAMP/i.test(l) && /MICROS/i.test(l) && /(UTC=1|UTC=true|isAdjustedToUTC":true)/i.test(l) &&
      converted === 'TIMESTAMP_MICROS') return 'TIMESTAMP';
  if (physical === 'BYTE_ARRAY' && /STRING/i.test(l) && converted === 'UTF8') return 'STRING';
  return `UNEXPECTED:${physical}/${l}/${converted}`;
}

async function readDuckDB(file) {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjects();
  const f = file.replaceAll("'", "''");
  const schemaRows = await q(`SELECT name, type, converted_type, logical_type, repetition_type
                              FROM parquet_schema('${f}')`);
  const schema = schemaRows.slice(1).map((r) => ({
    name: r.name,
    type: typeOfParquet(r.type, r.logical_type, r.converted_type),
    nullable: r.repetition_type === 'OPTIONAL',
  }));
  const rows = await q(`SELECT * EXCLUDE (file_row_number) FROM read_parquet('${f}', file_row_number=true)
                        ORDER BY file_row_number`);
  const columns = {};
  for (const c of schema) {
    columns[c.name] = rows.map((r) => {
      const v = r[c.name];
      return canon(v !== null && typeof v === 'object' && 'micros' in v ? v.micros : v, c.type);
    });
  }
  // Statistics as DuckDB decodes them (stats_min_value/stats_max_value); TIMESTAMP bounds come
  // as timestamps, so they are read back through epoch_us in SQL.
  const meta = await q(`SELECT row_group_id, row_group_num_rows, column_id, stats_null_count,
                               stats_min_value, stats_max_value, type, num_values
                        FROM parquet_metadata('${f}') ORDER BY row_group_id, column_id`);
  const groups = [];
  for (const m of meta) {
    const g = Number(m.row_group_id);
    groups[g] ??= { num_rows: Number(m.row_group_num_rows), columns: [] };
    const type = schema[Number(m.column_id)].type;
    const bound = (s) => {
      if (s === null) return null;
      if (type === 'DOUBLE') return canon(Number(s), type);
      if (type === 'INT64') return BigInt(s).toString();
      return s;  // STRING as is; TIMESTAMP converted below
    };
    groups[g].columns.push({
      null_count: m.stats_null_count === null ? null : Number(m.stats_null_count),
      min: bound(m.stats_min_value),
      max: bound(m.stats_max_value),
    });
  }
  for (const [i, c] of schema.entries()) {
    if (c.type !== 'TIMESTAMP') continue;
    const ts = await q(`SELECT row_group_id,
                          epoch_us(try_cast(stats_min_value AS TIMESTAMPTZ))::VARCHAR AS lo,
                          epoch_us(try_cast(stats_max_value AS TIMESTAMPTZ))::VARCHAR AS hi,
                          stats_min_value, stats_max_value
                        FROM parquet_metadata('${f}') WHERE column_id = ${i} ORDER BY row_group_id`);
    for (const t of ts) {
      const col = groups[Number(t.row_group_id)].columns[i];
      col.min = t.stats_min_value === null ? null : (t.lo ?? `unparsed:${t.stats_min_value}`);
      col.max = t.stats_max_value === null ? null : (t.hi ?? `unparsed:${t.stats_max_value}`);
    }
  }
  const kv = await q(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${f}')`);
  const metadata = Object.fromEntries(kv.map((r) => [r.key, r.value]));
  const num_rows = rows.length;
  con.closeSync?.();
  return { reader: 'duckdb', num_rows, schema, columns, row_groups: groups, metadata };
}

// A PLAIN-encoded statistics bound (raw bytes from the page header) in the normal form.
function decodeBound(bytes, type) {
  const b = Uint8Array.from(bytes);
  const dv = new DataView(b.buffer);
  if (type === 'INT64' || type === 'TIMESTAMP') return dv.getBigInt64(0, true).toString();
  if (type === 'DOUBLE') return canon(dv.getFloat64(0, true), 'DOUBLE');
  return new TextDecoder().decode(b);
}

async function readHyparquet(file) {
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const parsers = { timestampFromMicroseconds: (micros) => micros };  // keep the raw bigint
  const meta = parquetMetadata(ab, { parsers });
  const schema = meta.schema.slice(1).map((e) => ({
    name: e.name,
    type: typeOfParquet(e.type, e.logical_type ? JSON.stringify(e.logical_type) : '', e.converted_type),
    nullable: e.repetition_type === 'OPTIONAL',
  }));
  const rows = await parquetReadObjects({ file: ab, metadata: meta, compressors, parsers });
  const columns = {};
  for (const c of schema) columns[c.name] = rows.map((r) => canon(r[c.name], c.type));
  const row_groups = meta.row_groups.map((g) => ({
    num_rows: Number(g.num_rows),
    columns: g.columns.map((cc, i) => {
      const s = cc.meta_data.statistics ?? {};
      const type = schema[i].type;
      return {
        null_count: s.null_count === undefined ? null : Number(s.null_count),
        min: s.min_value === undefined ? null : canon(s.min_value, type),
        max: s.max_value === undefined ? null : canon(s.max_value, type),
      };
    }),
  }));
  // Walk each chunk's pages: every data page header must carry the page's statistics.
  const view = new DataView(ab);
  for (const [g, group] of meta.row_groups.entries()) {
    for (const [i, cc] of group.columns.entries()) {
      const md = cc.meta_data;
      const type = schema[i].type;
      const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
      const reader = { view, offset: start };
      const pages = [];
      while (reader.offset < start + Number(md.total_compressed_size)) {
        const h = parquetHeader(reader);
        reader.offset += h.compressed_page_size;
        if (h.type !== 'DATA_PAGE') continue;
        const s = h.data_page_header.statistics ?? {};
        pages.push({
          null_count: s.null_count === undefined ? null : Number(s.null_count),
          min: s.min_value === undefined ? null : decodeBound(s.min_value, type),
          max: s.max_value === undefined ? null : decodeBound(s.max_value, type),
        });
      }
      row_groups[g].columns[i].pages = pages;
    }
  }
  const metadata = Object.fromEntries((meta.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? '']));
  return { reader: 'hyparquet', num_rows: rows.length, schema, columns, row_groups, metadata };
}

function arrowType(t) {
  const s = String(t);
  if (s === 'Int64') return 'INT64';
  if (s === 'Float64') return 'DOUBLE';
  if (s === 'Utf8' || s === 'LargeUtf8' || s === 'Utf8View') return 'STRING';
  if (/^Timestamp<MICROSECOND, ?("?)(UTC|\+00:00)\1>$/.test(s)) return 'TIMESTAMP';
  return `UNEXPECTED:${s}`;
}

async function readParquetWasm(file) {
  const buf = readFileSync(file);
  const table = tableFromIPC(readParquet(new Uint8Array(buf)).intoIPCStream());
  const schema = table.schema.fields.map((f) => ({ name: f.name, type: arrowType(f.type), nullable: f.nullable }));
  const columns = {};
  for (const c of schema) {
    const vector = table.getChild(c.name);
    const out = [];
    if (c.type === 'INT64' || c.type === 'TIMESTAMP') {
      // The raw 64-bit values (get() would turn a timestamp into milliseconds).
      for (const data of vector.data) {
        for (let j = 0; j < data.length; ++j) {
          out.push(data.getValid(j) ? canon(data.values[data.offset + j], c.type) : null);
        }
      }
    } else {
      for (let i = 0; i < vector.length; ++i) out.push(vector.isValid(i) ? canon(vector.get(i), c.type) : null);
    }
    columns[c.name] = out;
  }
  // arrow-rs parses the footer; parquet-wasm exposes no column statistics, so its row groups
  // carry row and value counts only.
  const pf = await ParquetFile.fromFile(new Blob([buf]));
  const fm = pf.metadata();
  const row_groups = fm.rowGroups().map((g) => ({
    num_rows: Number(g.numRows()),
    num_values: g.columns().map((c) => Number(c.numValues())),
  }));
  const metadata = Object.fromEntries([...fm.fileMetadata().keyValueMetadata()].map(([k, v]) => [k, v ?? '']));
  return { reader: 'parquet-wasm', num_rows: table.numRows, schema, columns, row_groups, metadata };
}

export const readers = [readDuckDB, readParquetWasm, readHyparquet];

function expectedFor(reader, expected) {
  const want = structuredClone(expected);
  delete want.file;
  want.reader = reader;
  for (const c of want.schema) {
    want.columns[c.name] = want.columns[c.name].map((v) =>
      v === null ? null : c.type === 'DOUBLE' ? canon(Number(v), 'DOUBLE') : v);
  }
  for (const g of want.row_groups) {
    g.columns = g.columns.map((s, i) => {
      const t = want.schema[i].type;
      const fix = (v) => {
        if (v === null || t !== 'DOUBLE') return v;
        // DuckDB shows no bound that is infinite (it drops non-finite float statistics, and
        // its own writer does not write them); the others show them as written.
        if (reader === 'duckdb' && (v === 'Infinity' || v === '-Infinity')) return null;
        return canon(Number(v), 'DOUBLE');
      };
      const bounds = { null_count: s.null_count, min: fix(s.min), max: fix(s.max) };
      // Page header statistics are read by the hyparquet walk only.
      if (reader === 'hyparquet') {
        bounds.pages = s.pages.map((p) => ({ null_count: p.null_count, min: fix(p.min), max: fix(p.max) }));
      }
      return bounds;
    });
    if (reader === 'parquet-wasm') {
      g.num_values = g.columns.map(() => g.num_rows);
      delete g.columns;
    }
  }
  return want;
}

function diff(want, got, path, out) {
  if (out.length >= 20) return;
  if (typeof want !== 'object' || want === null || typeof got !== 'object' || got === null) {
    if (want !== got) out.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    return;
  }
  if (Array.isArray(want) && (!Array.isArray(got) || want.length !== got.length)) {
    out.push(`${path}: expected ${want.length} elements, got ${Array.isArray(got) ? got.length : typeof got}`);
  }
  for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) diff(want[k], got[k], `${path}.${k}`, out);
}

async function check(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.expected.json')).sort();
  if (files.length === 0) throw new Error(`no *.expected.json in ${dir}`);
  let failures = 0;
  for (const f of files) {
    const expected = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const file = join(dir, expected.file);
    for (const read of readers) {
      let got;
      const problems = [];
      try {
        got = await read(file);
      } catch (e) {
        problems.push(`read failed: ${e.stack ?? e}`);
      }
      if (got) diff(expectedFor(got.reader, expected), got, '', problems);
      const name = got?.reader ?? read.name;
      if (problems.length) {
        ++failures;
        console.log(`FAIL ${expected.file} ${name}\n  ${problems.join('\n  ')}`);
      } else {
        console.log(`ok   ${expected.file} ${name} (${expected.num_rows} rows)`);
      }
    }
  }
  console.log(`${files.length} files x ${readers.length} readers, ${failures} failures`);
  return failures === 0;
}

// Run as a program (not imported by readers_vs_database.mjs, which uses `readers`).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--check' && args.length === 2) {
    process.exit((await check(args[1])) ? 0 : 1);
  } else if (args.length === 1) {
    const replacer = (k, v) => (typeof v === 'bigint' ? v.toString() : v);
    for (const read of readers) console.log(JSON.stringify(await read(args[0]), replacer));
  } else {
    console.error('usage: node read_parquet.mjs FILE.parquet | --check DIR');
    process.exit(2);
  }
}
